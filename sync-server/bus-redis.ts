/**
 * The Redis bus: fan-out between Parley instances over Redis pub/sub (ioredis 5).
 *
 * Redis is only the low-latency notification path; SQLite is the source of truth. Every
 * update is committed (with its per-room seq) before it is published, so a message lost
 * here — Redis down, a reconnect, a subscription still in flight — is read back from the
 * room log by the room (gap in seq, or `onResync`). Hence this bus never blocks, never queues
 * and never throws into its caller: while Redis is away it drops and counts.
 *
 * One channel per room (`parley:room:<roomId>`), subscribed while the room is loaded, and one
 * control channel (`parley:control`) every instance subscribes to for messages about no room
 * in particular (a logout, a room's summary activity, a user's memberships). On one Redis, one
 * connection publishes and one subscribes; on a Redis Cluster, room channels are sharded
 * (SPUBLISH/SSUBSCRIBE): bus-redis-links.ts.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { z } from 'zod';
import { PREVIEW_CHARS } from '../src/lib/protocol/summaries';
import { generateId } from '../src/lib/server/id';
import { ProfileSchema } from '../src/lib/server/schemas';
import { clusterLink, singleRedisLink, type ClusterNode } from './bus-redis-links';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import {
	isControlMessage,
	type Bus,
	type BusMessage,
	type ControlBusMessage,
	type RoomBusMessage,
	type Unsubscribe
} from './types';

export const CHANNEL_PREFIX = 'parley:room:';
/** Messages for every instance (ControlBusMessage), subscribed from the start. */
export const CONTROL_CHANNEL = 'parley:control';
/** How often an instance with undelivered room updates checks whether the link is back. */
const REDELIVER_CHECK_MS = 250;
/** Rooms whose newest undelivered update is kept (beyond it, resync and gaps still heal them). */
const MAX_UNDELIVERED_ROOMS = 10_000;

/** Bumped on any incompatible change of the envelope below. */
const ENVELOPE_VERSION = 1;
const KIND_CODES = {
	update: 0,
	awareness: 1,
	revoke: 2,
	'session-ended': 3,
	epoch: 4,
	summary: 5,
	'user-rooms': 6,
	'room-settings': 7,
	inbox: 8,
	profile: 9,
	online: 10
} as const;

/** A summary activity as it travels (JSON inside the envelope), checked on the way in. */
const SummaryActivitySchema = z.object({
	roomId: z.string().min(1).max(64),
	seq: z.number().int().positive(),
	message: z
		.object({
			id: z.string().max(64),
			author: z.string().max(255),
			authorName: z.string().max(255).nullable(),
			text: z.string().max(PREVIEW_CHARS),
			ts: z.number().int()
		})
		.nullable(),
	reads: z
		.array(
			z.object({
				roomId: z.string().max(64),
				userId: z.string().max(255),
				upTo: z.string().max(64),
				ts: z.number().int()
			})
		)
		.max(10_000),
	delivered: z
		.array(
			z.object({
				userId: z.string().max(255),
				upTo: z.string().max(64),
				ts: z.number().int(),
				authors: z.array(z.string().max(255)).max(64)
			})
		)
		.max(10_000)
		.optional()
});

/** A bus message as it travels: who sent it and when (sender's clock, ms), for echo and lag. */
export interface BusEnvelope {
	readonly instanceId: string;
	readonly publishedAtMs: number;
	readonly message: BusMessage;
}

export type DecodeResult =
	| { readonly ok: true; readonly envelope: BusEnvelope }
	| { readonly ok: false; readonly reason: string };

export function encodeEnvelope(envelope: BusEnvelope): Uint8Array {
	const { message } = envelope;
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, ENVELOPE_VERSION);
	encoding.writeVarUint(encoder, KIND_CODES[message.kind]);
	encoding.writeVarString(encoder, envelope.instanceId);
	encoding.writeVarUint(encoder, envelope.publishedAtMs);
	// No room: the control channel's messages carry their own fields only.
	switch (message.kind) {
		case 'session-ended':
			encoding.writeVarString(encoder, message.sessionId);
			return encoding.toUint8Array(encoder);
		case 'summary':
			encoding.writeVarString(encoder, JSON.stringify(message.activity));
			return encoding.toUint8Array(encoder);
		case 'user-rooms':
			encoding.writeVarString(encoder, message.userId);
			encoding.writeVarString(encoder, message.removed ?? '');
			return encoding.toUint8Array(encoder);
		case 'room-settings':
			encoding.writeVarString(encoder, message.roomId);
			return encoding.toUint8Array(encoder);
		case 'inbox':
			encoding.writeVarString(encoder, message.userId);
			return encoding.toUint8Array(encoder);
		case 'profile':
			encoding.writeVarString(encoder, message.userId);
			encoding.writeVarString(encoder, message.displayName);
			return encoding.toUint8Array(encoder);
		case 'online':
			encoding.writeVarString(encoder, message.instanceId);
			encoding.writeVarUint(encoder, (message.full ? 1 : 0) | (message.ask ? 2 : 0));
			writeTexts(encoder, message.came);
			writeTexts(encoder, message.went);
			return encoding.toUint8Array(encoder);
	}
	encoding.writeVarString(encoder, message.roomId);
	switch (message.kind) {
		case 'update':
			encoding.writeVarUint(encoder, message.seq);
			encoding.writeVarUint8Array(encoder, message.data);
			break;
		case 'awareness':
			encoding.writeVarUint8Array(encoder, message.data);
			break;
		case 'revoke':
			encoding.writeVarString(encoder, message.userId);
			break;
		case 'epoch':
			encoding.writeVarUint(encoder, message.epoch);
			break;
	}
	return encoding.toUint8Array(encoder);
}

class MalformedEnvelope extends Error {
	override name = 'MalformedEnvelope';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a length-prefixed byte string, copied, never past the end of the input. */
function readBytes(decoder: decoding.Decoder): Uint8Array {
	const length = decoding.readVarUint(decoder);
	if (length > decoder.arr.length - decoder.pos) throw new MalformedEnvelope('length past end');
	// A plain Uint8Array copy: the input may be a Buffer over a shared slab.
	const bytes = new Uint8Array(decoder.arr.subarray(decoder.pos, decoder.pos + length));
	decoder.pos += length;
	return bytes;
}

function readText(decoder: decoding.Decoder): string {
	return utf8.decode(readBytes(decoder));
}

function readNonEmptyText(decoder: decoding.Decoder, what: string): string {
	const text = readText(decoder);
	if (text.length === 0) throw new MalformedEnvelope(`empty ${what}`);
	return text;
}

/** A list of user ids (an `online` message's). */
function writeTexts(encoder: encoding.Encoder, texts: readonly string[]): void {
	encoding.writeVarUint(encoder, texts.length);
	for (const text of texts) encoding.writeVarString(encoder, text);
}

function readTexts(decoder: decoding.Decoder, what: string): string[] {
	const count = decoding.readVarUint(decoder);
	// Each text takes at least two bytes (its length and one character).
	if (count * 2 > decoder.arr.length - decoder.pos) throw new MalformedEnvelope(`${what} past end`);
	const texts: string[] = [];
	for (let i = 0; i < count; i++) texts.push(readNonEmptyText(decoder, what));
	return texts;
}

/**
 * Decodes what came from Redis. Values from Redis cross a trust boundary: anything that is
 * not exactly one well-formed envelope yields `ok: false`; this function never throws.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodeResult {
	try {
		const decoder = decoding.createDecoder(bytes);
		const version = decoding.readVarUint(decoder);
		if (version !== ENVELOPE_VERSION) throw new MalformedEnvelope(`version ${version}`);
		const kindCode = decoding.readVarUint(decoder);
		const instanceId = readNonEmptyText(decoder, 'instanceId');
		const publishedAtMs = decoding.readVarUint(decoder);
		let message: BusMessage;
		const control = readControl(decoder, kindCode);
		if (control) {
			if (decoding.hasContent(decoder)) throw new MalformedEnvelope('trailing bytes');
			return { ok: true, envelope: { instanceId, publishedAtMs, message: control } };
		}
		const roomId = readNonEmptyText(decoder, 'roomId');
		switch (kindCode) {
			case KIND_CODES.update: {
				const seq = decoding.readVarUint(decoder);
				if (seq < 1) throw new MalformedEnvelope('seq must be positive');
				message = { kind: 'update', roomId, seq, data: readBytes(decoder) };
				break;
			}
			case KIND_CODES.awareness:
				message = { kind: 'awareness', roomId, data: readBytes(decoder) };
				break;
			case KIND_CODES.revoke:
				message = { kind: 'revoke', roomId, userId: readNonEmptyText(decoder, 'userId') };
				break;
			case KIND_CODES.epoch: {
				const epoch = decoding.readVarUint(decoder);
				if (epoch < 1) throw new MalformedEnvelope('a sealed room’s epoch is positive');
				message = { kind: 'epoch', roomId, epoch };
				break;
			}
			default:
				throw new MalformedEnvelope(`unknown kind ${kindCode}`);
		}
		if (decoding.hasContent(decoder)) throw new MalformedEnvelope('trailing bytes');
		return { ok: true, envelope: { instanceId, publishedAtMs, message } };
	} catch (error) {
		return { ok: false, reason: error instanceof Error ? error.message : String(error) };
	}
}

/** The fields of a control kind, or null for a room kind. */
function readControl(decoder: decoding.Decoder, kindCode: number): ControlBusMessage | null {
	switch (kindCode) {
		case KIND_CODES['session-ended']:
			return { kind: 'session-ended', sessionId: readNonEmptyText(decoder, 'sessionId') };
		case KIND_CODES.summary: {
			let json: unknown;
			try {
				json = JSON.parse(readText(decoder));
			} catch {
				throw new MalformedEnvelope('summary is not JSON');
			}
			const parsed = SummaryActivitySchema.safeParse(json);
			if (!parsed.success) throw new MalformedEnvelope('not a summary activity');
			return { kind: 'summary', activity: parsed.data };
		}
		case KIND_CODES['user-rooms']: {
			const userId = readNonEmptyText(decoder, 'userId');
			const removed = readText(decoder);
			return removed === ''
				? { kind: 'user-rooms', userId }
				: { kind: 'user-rooms', userId, removed };
		}
		case KIND_CODES['room-settings']:
			return { kind: 'room-settings', roomId: readNonEmptyText(decoder, 'roomId') };
		case KIND_CODES.inbox:
			return { kind: 'inbox', userId: readNonEmptyText(decoder, 'userId') };
		case KIND_CODES.profile: {
			const userId = readNonEmptyText(decoder, 'userId');
			const displayName = ProfileSchema.safeParse({ displayName: readText(decoder) });
			if (!displayName.success) throw new MalformedEnvelope('not a display name');
			return { kind: 'profile', userId, displayName: displayName.data.displayName };
		}
		case KIND_CODES.online: {
			const instanceId = readNonEmptyText(decoder, 'instanceId');
			const flags = decoding.readVarUint(decoder);
			if (flags > 3) throw new MalformedEnvelope('unknown online flags');
			const came = readTexts(decoder, 'came');
			const went = readTexts(decoder, 'went');
			return {
				kind: 'online',
				instanceId,
				full: (flags & 1) === 1,
				ask: (flags & 2) === 2,
				came,
				went
			};
		}
		default:
			return null;
	}
}

export interface RedisBusOptions {
	/** Where Redis is: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
	readonly redis:
		| { readonly kind: 'single'; readonly url: string }
		| { readonly kind: 'cluster'; readonly nodes: readonly ClusterNode[] };
	readonly logger: Logger;
	/** Default: a fresh random id per process. */
	readonly instanceId?: string;
	/** Default: no metrics (tests). */
	readonly metrics?: Pick<Metrics, 'busPublished' | 'busDropped' | 'busLagSeconds'>;
}

export interface RedisBusStats {
	readonly published: number;
	readonly dropped: number;
	readonly malformed: number;
	readonly resyncs: number;
	/** Room updates published again after their first publish failed (`undelivered`). */
	readonly redelivered: number;
}

export interface RedisBus extends Bus {
	/** Every connection is up: publishing and receiving work right now. */
	isConnected(): boolean;
	/** Resolves once publishing worked and the control channel was subscribed (start-up readiness). */
	readonly ready: Promise<void>;
	readonly stats: RedisBusStats;
}

type Handler = (message: RoomBusMessage) => void;
type ControlHandler = (message: ControlBusMessage) => void;

export function createRedisBus(options: RedisBusOptions): RedisBus {
	const instanceId = options.instanceId ?? generateId();
	const log = options.logger.child({ component: 'bus-redis', instanceId });
	const metrics = options.metrics;
	const stats = { published: 0, dropped: 0, malformed: 0, resyncs: 0, redelivered: 0 };

	const handlers = new Map<string, Set<Handler>>();
	/** roomId -> what its subscribers asked to be called when the subscription takes effect. */
	const onSubscribed = new Map<string, Set<() => void>>();
	const resyncHandlers = new Set<() => void>();
	const controlHandlers = new Set<ControlHandler>();
	let closed = false;

	let resyncScheduled = false;
	function scheduleResync(): void {
		if (resyncScheduled || closed) return;
		resyncScheduled = true;
		setImmediate(() => {
			resyncScheduled = false;
			if (closed) return;
			stats.resyncs++;
			for (const handler of resyncHandlers) {
				try {
					handler();
				} catch (error) {
					log.error({ err: error }, 'resync handler threw');
				}
			}
		});
	}

	function channelOf(roomId: string): string {
		return CHANNEL_PREFIX + roomId;
	}

	/**
	 * Room channels took effect (new ones, or moved to another shard of a cluster): only their
	 * rooms read back.
	 */
	function roomsSubscribed(channels: readonly string[]): void {
		for (const channel of channels) {
			if (!channel.startsWith(CHANNEL_PREFIX)) continue;
			const roomId = channel.slice(CHANNEL_PREFIX.length);
			for (const subscribed of [...(onSubscribed.get(roomId) ?? [])]) {
				try {
					subscribed();
				} catch (error) {
					log.error({ err: error, roomId }, 'subscription handler threw');
				}
			}
		}
	}

	function receiveRoom(channel: string, payload: Buffer): void {
		if (!channel.startsWith(CHANNEL_PREFIX)) return;
		const roomId = channel.slice(CHANNEL_PREFIX.length);
		const roomHandlers = handlers.get(roomId);
		if (!roomHandlers) return; // an UNSUBSCRIBE is in flight
		const decoded = decodeEnvelope(payload);
		const message = decoded.ok ? decoded.envelope.message : null;
		if (!decoded.ok || !message || isControlMessage(message) || message.roomId !== roomId) {
			return malformed(channel, payload, decoded.ok ? 'room mismatch' : decoded.reason);
		}
		const { envelope } = decoded;
		if (envelope.instanceId === instanceId) return;
		metrics?.busLagSeconds.observe(Math.max(0, Date.now() - envelope.publishedAtMs) / 1000);
		// Copy: a handler may unsubscribe while we iterate.
		for (const handler of [...roomHandlers]) {
			try {
				handler(message);
			} catch (error) {
				log.error({ err: error, roomId }, 'bus handler threw');
			}
		}
	}

	function receiveControl(payload: Buffer): void {
		const decoded = decodeEnvelope(payload);
		const message = decoded.ok ? decoded.envelope.message : null;
		if (!decoded.ok || !message || !isControlMessage(message)) {
			return malformed(
				CONTROL_CHANNEL,
				payload,
				decoded.ok ? 'not a control message' : decoded.reason
			);
		}
		if (decoded.envelope.instanceId === instanceId) return;
		for (const handler of [...controlHandlers]) {
			try {
				handler(message);
			} catch (error) {
				log.error({ err: error }, 'bus control handler threw');
			}
		}
	}

	function malformed(channel: string, payload: Buffer, reason: string): void {
		stats.malformed++;
		log.warn({ channel, bytes: payload.length, reason }, 'dropped a malformed bus message');
	}

	function drop(message: BusMessage, reason: string): void {
		stats.dropped++;
		metrics?.busDropped.inc();
		const where = isControlMessage(message) ? {} : { roomId: message.roomId };
		log.debug({ ...where, kind: message.kind, reason }, 'bus message dropped');
	}

	/**
	 * The newest room update of each room that could not be published (the link was down or Redis
	 * refused it), published again once the link is back. Receivers read back on their own
	 * reconnection (resync), and a later message shows them a gap; but the LAST updates published
	 * during an outage have no later message, and may be committed after another instance's
	 * resync read, so they would stay unseen there until the next resync. One update per room is
	 * enough: a receiver that lacks earlier ones sees the gap and reads the log.
	 */
	const undelivered = new Map<string, Extract<BusMessage, { kind: 'update' }>>();
	let redeliverTimer: NodeJS.Timeout | null = null;

	function keepUndelivered(message: BusMessage): void {
		if (closed || isControlMessage(message) || message.kind !== 'update') return;
		const kept = undelivered.get(message.roomId);
		if (kept && kept.seq >= message.seq) return;
		undelivered.set(message.roomId, message);
		if (undelivered.size > MAX_UNDELIVERED_ROOMS) {
			const oldest = undelivered.keys().next().value;
			if (oldest !== undefined) undelivered.delete(oldest);
		}
		redeliverTimer ??= setTimeout(redeliver, REDELIVER_CHECK_MS).unref();
	}

	function redeliver(): void {
		redeliverTimer = null;
		if (closed || undelivered.size === 0) return;
		if (link.publishStatus() !== 'ready') {
			redeliverTimer = setTimeout(redeliver, REDELIVER_CHECK_MS).unref();
			return;
		}
		const messages = [...undelivered.values()];
		undelivered.clear();
		stats.redelivered += messages.length;
		for (const message of messages) bus.publish(message);
	}

	const linkOptions = {
		controlChannel: CONTROL_CHANNEL,
		log,
		events: {
			roomMessage: receiveRoom,
			controlMessage: receiveControl,
			subscribed: (scope: 'all' | readonly string[]) => {
				if (scope === 'all') scheduleResync();
				else roomsSubscribed(scope);
			}
		}
	};
	const link =
		options.redis.kind === 'cluster'
			? clusterLink(options.redis.nodes, linkOptions)
			: singleRedisLink(options.redis.url, linkOptions);

	const bus: RedisBus = {
		instanceId,
		ready: link.ready,
		stats,
		isConnected: () => link.isConnected(),
		publish(message: BusMessage): void {
			if (closed) return drop(message, 'closed');
			const status = link.publishStatus();
			if (status !== 'ready') {
				keepUndelivered(message);
				return drop(message, status);
			}
			let bytes: Uint8Array;
			try {
				bytes = encodeEnvelope({ instanceId, publishedAtMs: Date.now(), message });
			} catch (error) {
				log.error({ err: error, kind: message.kind }, 'could not encode a bus message');
				return drop(message, 'encode');
			}
			stats.published++;
			metrics?.busPublished.inc();
			const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
			const sent = isControlMessage(message)
				? link.publishControl(buffer)
				: link.publishRoom(channelOf(message.roomId), buffer);
			sent.catch((error: unknown) => {
				keepUndelivered(message);
				drop(message, error instanceof Error ? error.message : 'publish failed');
			});
		},
		subscribe(roomId: string, handler: Handler, subscribed?: () => void): Unsubscribe {
			let roomHandlers = handlers.get(roomId);
			const first = !roomHandlers;
			if (!roomHandlers) {
				roomHandlers = new Set();
				handlers.set(roomId, roomHandlers);
			}
			roomHandlers.add(handler);
			if (subscribed) {
				let waiting = onSubscribed.get(roomId);
				if (!waiting) onSubscribed.set(roomId, (waiting = new Set()));
				waiting.add(subscribed);
			}
			if (first) link.subscribeRoom(channelOf(roomId));
			let active = true;
			return () => {
				if (!active) return;
				active = false;
				if (subscribed) onSubscribed.get(roomId)?.delete(subscribed);
				const current = handlers.get(roomId);
				if (!current) return;
				current.delete(handler);
				if (current.size > 0) return;
				handlers.delete(roomId);
				onSubscribed.delete(roomId);
				if (!closed) link.unsubscribeRoom(channelOf(roomId));
			};
		},
		onControl(handler: ControlHandler): Unsubscribe {
			controlHandlers.add(handler);
			return () => {
				controlHandlers.delete(handler);
			};
		},
		onResync(handler: () => void): Unsubscribe {
			resyncHandlers.add(handler);
			return () => {
				resyncHandlers.delete(handler);
			};
		},
		async close(): Promise<void> {
			if (closed) return;
			closed = true;
			if (redeliverTimer) clearTimeout(redeliverTimer);
			undelivered.clear();
			handlers.clear();
			onSubscribed.clear();
			resyncHandlers.clear();
			controlHandlers.clear();
			await link.close();
		}
	};
	return bus;
}
