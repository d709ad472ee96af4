/**
 * The WebSocket upgrade for /sync/<roomId>: the trust boundary of the sync server. Everything
 * is checked on the plain HTTP request, before a socket exists: path, Origin, session cookie,
 * membership, connections per user. A refusal is a plain HTTP response, then the socket ends.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Config } from '../src/lib/server/config';
import { SESSION_COOKIE, readCookie } from '../src/lib/server/session';
import {
	CloseCode,
	isClientVersionSupported,
	parseProtocolVersion
} from '../src/lib/protocol/wire';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { MAX_DEFERRED_BYTES, MAX_DEFERRED_FRAMES } from './admission';
import type { Connection } from './connection';
import type { RoomHub } from './rooms';
import type { TurnPacer } from './turn-pacer';
import type { SyncSocket } from './types';

export type UpgradeConfig = Pick<Config, 'ORIGIN' | 'MAX_FRAME_BYTES' | 'MAX_CONNECTIONS_PER_USER'>;

/** Whose socket it is: read with the session on every upgrade. */
export interface UpgradeUser {
	readonly userId: string;
	readonly username: string;
	/** '' for none; names their messages in the summaries (kept current while open). */
	readonly displayName: string;
	readonly sessionId: string;
}

/** Who may open a socket: asked of storage (through the domain functions) on every upgrade. */
export interface SyncAccess {
	/** The session a cookie token names, if it is valid (renewed as the web app renews it). */
	verifySession(token: string): Promise<UpgradeUser | null>;
	/** Whether the user is a member of the room (an unknown room has no members). */
	isMember(roomId: string, userId: string): Promise<boolean>;
}

const SYNC_PREFIX = '/sync/';
/** On shutdown, how long sockets get to finish the close handshake before they are cut. */
const CLOSE_GRACE_MS = 1_000;
/** A flooder closed with `abort` is cut this long after its close frame was sent. */
const ABORT_GRACE_MS = 1_000;
const ROOM_ID = /^[a-z0-9]{1,64}$/;

const STATUS_TEXT: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	429: 'Too Many Requests',
	500: 'Internal Server Error',
	503: 'Service Unavailable'
};

/** Answers an upgrade with a plain HTTP error `{ error }`, then ends the socket. */
export function refuse(socket: Duplex, status: number, error: string): void {
	const body = JSON.stringify({ error });
	socket.end(
		`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
			'Connection: close\r\n' +
			'Content-Type: application/json\r\n' +
			`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
	);
	socket.once('finish', () => socket.destroy());
}

/**
 * Node removes its HTTP error listener from a socket it hands over for an upgrade, and `ws` adds
 * its own only once our checks pass: a client that resets the connection while its upgrade waits
 * for its turn (or for storage) would raise an 'error' nobody listens to, which ends the process.
 * Called first thing on every upgrade we take.
 */
export function holdUpgradeSocket(socket: Duplex): void {
	socket.on('error', () => socket.destroy());
}

/** The room id of a /sync/… path; null for a /sync/ path with a bad id; undefined if not ours. */
export function parseSyncPath(url: string | undefined): string | null | undefined {
	let pathname: string;
	try {
		pathname = new URL(url ?? '/', 'http://localhost').pathname;
	} catch {
		return undefined;
	}
	if (!pathname.startsWith(SYNC_PREFIX)) return undefined;
	const last = pathname.split('/').pop() ?? '';
	return ROOM_ID.test(last) ? last : null;
}

/** `?epoch=`: a non-negative integer in plain decimal digits (no sign, exponent or spaces). */
const EpochParam = z
	.string()
	.regex(/^\d{1,15}$/)
	.transform(Number);

/**
 * The epoch a client's replica is at (docs/design.md, "History segments"): `undefined` when the
 * query has none (stock clients: serve the head), null when it is not exactly one valid number.
 */
export function parseEpochParam(url: string | undefined): number | undefined | null {
	let values: string[];
	try {
		values = new URL(url ?? '/', 'http://localhost').searchParams.getAll('epoch');
	} catch {
		return null;
	}
	if (values.length === 0) return undefined;
	if (values.length > 1) return null;
	const parsed = EpochParam.safeParse(values[0]);
	return parsed.success ? parsed.data : null;
}

/**
 * The client's protocol version (`?v=`, src/lib/protocol/wire.ts): `undefined` for a stock
 * client that names none, null when malformed.
 */
export function parseVersionParam(url: string | undefined): number | undefined | null {
	try {
		return parseProtocolVersion(new URL(url ?? '/', 'http://localhost').searchParams);
	} catch {
		return null;
	}
}

/** The parts of `ws` internals the shared-frame fast path relies on (ws 8). */
interface WsInternals {
	readonly _socket: Duplex | null;
	readonly _sender: { readonly _state: number } | null;
}
/** ws's Sender state when it queues nothing (no deflate, no Blob being read). */
const WS_SENDER_IDLE = 0;

/** A `ws` socket seen through the SyncSocket interface the rooms use. */
function asSyncSocket(ws: WebSocket): SyncSocket {
	const internals = ws as unknown as WsInternals;
	return {
		send: (data) => ws.send(data),
		sendShared(frame) {
			// The same prebuilt frame bytes for every socket: one write, no per-socket framing.
			// Only while ws itself queues nothing, so frames never overtake each other.
			const socket = internals._socket;
			if (ws.readyState === ws.OPEN && socket && internals._sender?._state === WS_SENDER_IDLE) {
				socket.write(frame.wire);
			} else {
				ws.send(frame.data);
			}
		},
		close: (code, reason) => ws.close(code, reason),
		pause: () => ws.pause(),
		resume: () => ws.resume(),
		abort(code, reason) {
			ws.close(code, reason);
			ws.pause();
			setTimeout(() => ws.terminate(), ABORT_GRACE_MS).unref();
		},
		get bufferedAmount() {
			return ws.bufferedAmount;
		}
	};
}

function toBytes(data: RawData): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return data;
}

/** Counts a user's accepted socket in `openPerUser` until its raw socket closes. */
export function countOpenSocket(
	openPerUser: Map<string, number>,
	userId: string,
	socket: Duplex
): void {
	openPerUser.set(userId, (openPerUser.get(userId) ?? 0) + 1);
	// The raw socket closes whether the handshake fails or the WebSocket closes later.
	socket.once('close', () => {
		const left = (openPerUser.get(userId) ?? 1) - 1;
		if (left > 0) openPerUser.set(userId, left);
		else openPerUser.delete(userId);
	});
}

/** Who opens a socket: Origin ours (403), a valid session cookie (401). */
export async function authenticateUpgrade(
	request: IncomingMessage,
	access: Pick<SyncAccess, 'verifySession'>,
	config: Pick<Config, 'ORIGIN'>
): Promise<{ status: number; error: string } | UpgradeUser> {
	const origin = request.headers.origin;
	if (origin !== undefined && origin !== config.ORIGIN) {
		return { status: 403, error: 'origin not allowed' };
	}
	const token = readCookie(request.headers.cookie, SESSION_COOKIE);
	if (!token) return { status: 401, error: 'not logged in' };
	const user = await access.verifySession(token);
	return user ?? { status: 401, error: 'session expired' };
}

/**
 * Answers an upgrade once its turn came (turn-pacer.ts): nothing if its socket closed while it
 * waited, 503 if shutdown began meanwhile (storage may be closing); else the verdict of `check`,
 * a refusal as plain HTTP, or `accept` for a user under MAX_CONNECTIONS_PER_USER (counted by
 * `accept` in the same turn as this check, so concurrent upgrades cannot both pass it).
 */
export function answerUpgrade(
	socket: Duplex,
	check: () => Promise<{ status: number; error: string } | UpgradeUser>,
	rules: {
		readonly accepting: () => boolean;
		readonly openPerUser: ReadonlyMap<string, number>;
		readonly maxPerUser: number;
		readonly accept: (user: UpgradeUser) => void;
		readonly failed: (error: unknown) => void;
	}
): void {
	if (socket.destroyed) return;
	if (!rules.accepting()) return refuse(socket, 503, 'shutting down');
	check().then(
		(verdict) => {
			if ('status' in verdict) return refuse(socket, verdict.status, verdict.error);
			if (!rules.accepting()) return refuse(socket, 503, 'shutting down');
			if (socket.destroyed) return;
			if ((rules.openPerUser.get(verdict.userId) ?? 0) >= rules.maxPerUser) {
				return refuse(socket, 429, 'too many connections');
			}
			rules.accept(verdict);
		},
		(error: unknown) => {
			rules.failed(error);
			refuse(socket, 500, 'internal error');
		}
	);
}

export interface SyncUpgrade {
	/** Handles the upgrade if its path is /sync/…; returns false (touching nothing) otherwise. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
	/** Refuse new upgrades from now on (shutdown). */
	stopAccepting(): void;
	close(): Promise<void>;
}

export function createSyncUpgrade(deps: {
	readonly access: SyncAccess;
	readonly config: UpgradeConfig;
	readonly hub: RoomHub;
	readonly log: Logger;
	readonly metrics?: Pick<Metrics, 'connections'>;
	/** Checks upgrades a few per event-loop turn (turn-pacer.ts, UPGRADES_PER_TURN). */
	readonly upgrades: Pick<TurnPacer, 'enqueue'>;
}): SyncUpgrade {
	const { access, config, hub, log, metrics, upgrades } = deps;
	const wss = new WebSocketServer({
		noServer: true,
		perMessageDeflate: false,
		// Frames over MAX_FRAME_BYTES are closed by us with the named 4413 (below); ws only cuts,
		// with 1009 and before buffering them, frames over twice that.
		maxPayload: config.MAX_FRAME_BYTES * 2
	});
	/** Open (and opening) sockets per user, for MAX_CONNECTIONS_PER_USER. */
	const openPerUser = new Map<string, number>();
	let accepting = true;

	async function authorize(
		request: IncomingMessage,
		roomId: string
	): Promise<{ status: number; error: string } | UpgradeUser> {
		const user = await authenticateUpgrade(request, access, config);
		if ('status' in user) return user;
		// An unknown room has no members: 403 like a private room, so ids cannot be probed.
		if (!(await access.isMember(roomId, user.userId))) {
			return { status: 403, error: 'not a member' };
		}
		return user;
	}

	function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
		const roomId = parseSyncPath(request.url);
		if (roomId === undefined) return false;
		holdUpgradeSocket(socket);
		if (roomId === null) {
			refuse(socket, 404, 'no such room');
			return true;
		}
		const epoch = parseEpochParam(request.url);
		if (epoch === null) {
			refuse(socket, 400, 'epoch must be a non-negative integer');
			return true;
		}
		const version = parseVersionParam(request.url);
		if (version === null) {
			refuse(socket, 400, 'v must be a protocol version number');
			return true;
		}
		if (!accepting) {
			refuse(socket, 503, 'shutting down');
			return true;
		}
		// Checked in a later turn, a few at a time: a storm of upgrades read in one poll phase would
		// otherwise hold every room's group commit back until the last was attached.
		const answer = (): void =>
			answerUpgrade(socket, () => authorize(request, roomId), {
				accepting: () => accepting,
				openPerUser,
				maxPerUser: config.MAX_CONNECTIONS_PER_USER,
				accept: (user) => accept(request, socket, head, roomId, user, epoch, version),
				failed: (error) => log.error({ err: error, roomId }, 'upgrade check failed')
			});
		upgrades.enqueue(answer, 1);
		return true;
	}

	function accept(
		request: IncomingMessage,
		socket: Duplex,
		head: Buffer,
		roomId: string,
		user: UpgradeUser,
		epoch: number | undefined,
		version: number | undefined
	): void {
		countOpenSocket(openPerUser, user.userId, socket);
		wss.handleUpgrade(request, socket, head, (ws) => {
			if (!isClientVersionSupported(version)) {
				// After the handshake, so the tab sees the code (an HTTP refusal is only an error).
				ws.close(CloseCode.CLIENT_OUTDATED, 'this version of Parley is out of date: reload');
				return;
			}
			metrics?.connections.inc();
			ws.once('close', () => metrics?.connections.dec());
			// The room may still be loading: frames that arrive meanwhile wait, in order.
			let attached: Connection | null = null;
			let closed = false;
			const waiting: Uint8Array[] = [];
			let waitingBytes = 0;
			const close = (code: number, reason: string): void => {
				if (attached) attached.close(code, reason);
				else ws.close(code, reason);
			};
			ws.on('message', (data, isBinary) => {
				if (!isBinary) return close(CloseCode.MALFORMED_MESSAGE, 'binary frames only');
				const frame = toBytes(data);
				if (frame.byteLength > config.MAX_FRAME_BYTES) {
					return close(CloseCode.FRAME_TOO_LARGE, 'frame too large');
				}
				if (attached) return attached.receive(frame);
				// Bounded like the frames of a paced user (gate rule 6).
				waitingBytes += frame.byteLength;
				if (waiting.length >= MAX_DEFERRED_FRAMES || waitingBytes > MAX_DEFERRED_BYTES) {
					return close(CloseCode.RATE_LIMITED, 'over budget');
				}
				waiting.push(frame);
			});
			ws.on('close', () => {
				closed = true;
				attached?.close(CloseCode.SERVICE_RESTART, 'closed');
			});
			hub.connect(roomId, asSyncSocket(ws), user, epoch).then(
				(connection) => {
					if (closed) return connection.close(CloseCode.SERVICE_RESTART, 'closed');
					attached = connection;
					for (const frame of waiting.splice(0)) connection.receive(frame);
				},
				(error: unknown) => {
					log.error({ err: error, roomId }, 'room load failed');
					ws.close(CloseCode.INTERNAL_ERROR, 'room load failed');
				}
			);
			ws.on('error', (error) => log.warn({ err: error, roomId }, 'socket error'));
		});
	}

	return {
		handleUpgrade,
		stopAccepting() {
			accepting = false;
		},
		async close() {
			// Give clients a moment to answer our close frames (so they see 1012), then cut.
			const closing = [...wss.clients].map(
				(ws) =>
					new Promise<void>((done) => {
						if (ws.readyState === ws.CLOSED) done();
						else ws.once('close', () => done());
					})
			);
			let timer: ReturnType<typeof setTimeout> | undefined;
			await Promise.race([
				Promise.all(closing),
				new Promise<void>((done) => (timer = setTimeout(done, CLOSE_GRACE_MS)))
			]);
			clearTimeout(timer);
			for (const ws of wss.clients) ws.terminate();
			await new Promise<void>((done) => wss.close(() => done()));
		}
	};
}
