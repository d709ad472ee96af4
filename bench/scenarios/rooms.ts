/**
 * (b) Many rooms: R rooms × 5 clients (1 sender + 4 receivers each), a total rate of messages
 * spread over the rooms, on Parley and, in the same run, on the reference servers
 * (bench/lib/peers.ts): the y-websocket reference server and Hocuspocus with SQLite. CPU per
 * message is net of the server's idle CPU with the same sockets open (measured just before).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../tests/support/server';
import { deliveryRow, meter, startParley, type Row } from '../lib/harness';
import { startPeer, type PeerKind } from '../lib/peers';
import { seed, type Seeded } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import type { Signer } from '../../tests/support/device';
import { round, sleep, summarize, waitUntil } from '../lib/stats';
import { openSummaries, type SummaryClient } from '../../tests/support/summary-client';
import {
	LoadWorker,
	openAcross,
	statsAcross,
	type ClientSpec,
	type WorkerStats
} from '../lib/workers';

export const PER_ROOM = 5;
const IDLE_MS = 3_000;

export type Target = 'parley' | PeerKind;

/** A server under test: where room r's sockets go, its process, and how to stop it. */
export interface Opened {
	readonly pid: number;
	readonly origin: string;
	/** Parley only: every seeded user's session cookie (for user sockets). */
	readonly cookies: readonly string[];
	client(
		room: number,
		user: number
	): ClientSpec & { readonly userId: string; readonly roomId: string; readonly signer?: Signer };
	stop(): Promise<void>;
}

/** Starts `target` for `rooms` rooms of `perRoom` users (Parley: seeded users and sessions). */
/** User sockets opened at once by `rooms-summaries`. */
const FEED_BATCH = 200;

export async function openTarget(
	target: Target,
	rooms: number,
	dataDir: string,
	env: Readonly<Record<string, string>> = {},
	perRoom = PER_ROOM
): Promise<Opened> {
	if (target === 'parley') {
		const seeded: Seeded = await seed(dataDir, {
			users: rooms * perRoom,
			rooms,
			membersOf: (r) => Array.from({ length: perRoom }, (_, i) => r * perRoom + i)
		});
		const server = await startParley(dataDir, env);
		return {
			pid: server.process.pid ?? 0,
			origin: server.url,
			cookies: seeded.users.map((u) => u.cookie),
			client(room, user) {
				const u = seeded.users[room * perRoom + user];
				if (!u) throw new Error(`no user ${user} in room ${room}`);
				const roomId = seeded.rooms[room] ?? '';
				return {
					url: `${server.syncUrl}/${roomId}`,
					cookie: u.cookie,
					userId: u.id,
					roomId,
					signer: u.signer
				};
			},
			stop: async () => void (await server.stop())
		};
	}
	const peer = await startPeer(target, join(dataDir, 'peer.sqlite'));
	// Hocuspocus's framing names the document in every frame.
	const hocuspocus = peer.kind === 'hocuspocus';
	return {
		pid: peer.pid,
		origin: 'http://127.0.0.1',
		cookies: [],
		client: (room, user) => ({
			url: peer.roomUrl(`room-${room}`),
			cookie: '',
			userId: `user-${room}-${user}`,
			roomId: `room-${room}`,
			...(hocuspocus ? { docName: `room-${room}` } : {})
		}),
		stop: () => peer.stop()
	};
}

/** Every room's receivers (users 1–4; user 0 sends), spread over `workers`. */
export async function openReceivers(
	server: Opened,
	rooms: number,
	workers: readonly LoadWorker[]
): Promise<void> {
	const receivers: ClientSpec[] = [];
	for (let r = 0; r < rooms; r++) {
		for (let u = 1; u < PER_ROOM; u++) receivers.push(server.client(r, u));
	}
	await openAcross(workers, receivers, {
		origin: server.origin,
		sendStep1: false,
		reconnect: false,
		sampleEvery: 20,
		concurrency: 100
	});
}

export interface RoomsResult {
	readonly row: Row;
}

/** One server: open everything, measure idle CPU, drive `rate` msgs/s for `durationMs`. */
export async function measureRooms(
	target: Target,
	options: {
		rooms: number;
		rate: number;
		durationMs: number;
		/** Parley only: also a user socket (summary channel) for every member. */
		summaries?: boolean;
		/** Parley only: every message signed, REQUIRE_SIGNATURES=1 (gate rule 7 verifies each). */
		signed?: boolean;
	}
): Promise<RoomsResult> {
	const { rooms, rate } = options;
	const dataDir = makeTempDir('parley-bench-');
	const server = await openTarget(
		target,
		rooms,
		dataDir,
		options.signed ? { REQUIRE_SIGNATURES: '1' } : {}
	);
	const workers = [new LoadWorker(), new LoadWorker()];
	const senders: Sender[] = [];
	const feeds: SummaryClient[] = [];
	try {
		await openReceivers(server, rooms, workers);
		if (options.summaries) {
			// In batches: 10,000 sockets opened at once overflow the listen backlog (ECONNRESET).
			for (let i = 0; i < server.cookies.length; i += FEED_BATCH) {
				const batch = server.cookies
					.slice(i, i + FEED_BATCH)
					.map((cookie) => openSummaries({ url: server.origin }, cookie));
				feeds.push(...batch);
				for (const feed of batch) {
					await feed.waitFor(() => feed.rooms() !== null, 'a user socket’s snapshot', 60_000);
				}
			}
			// Each member's tab has its room open, as a tab in a conversation does (`open`: the
			// room's messages come over its room socket; BENCH_OPEN=0 leaves it out).
			if (process.env.BENCH_OPEN !== '0') {
				feeds.forEach((feed, i) => {
					const roomId = server.client(Math.floor(i / PER_ROOM), i % PER_ROOM).roomId;
					feed.send(JSON.stringify({ type: 'open', roomId }));
				});
			}
		}
		for (let r = 0; r < rooms; r++) {
			const c = server.client(r, 0);
			const sender = new Sender(
				c.url,
				c.cookie,
				c.userId,
				server.origin,
				c.docName,
				options.signed && c.signer ? { signer: c.signer, roomId: c.roomId } : undefined
			);
			await sender.open();
			if (options.summaries && process.env.BENCH_ACKS === '1') {
				// Every other member's tab acknowledges each message as delivered, as the room's
				// replica shows it (taken here at its STORED receipt, from their user sockets).
				sender.onStored = (upTo) => {
					for (let u = 1; u < PER_ROOM; u++) {
						const frame = { type: 'delivered', rooms: [{ roomId: c.roomId, upTo }] };
						feeds[r * PER_ROOM + u]?.send(JSON.stringify(frame));
					}
				};
			}
			senders.push(sender);
		}
		const stats = (): Promise<WorkerStats> => statsAcross(workers);
		await drive(senders, Math.min(rate, rooms), 1_000);
		await sleep(1_000);
		const idle = meter(server.pid);
		await sleep(IDLE_MS);
		const idleMicrosPerMs = idle.stop().cpuMicros / IDLE_MS;
		await Promise.all(workers.map((w) => w.reset()));
		const window = meter(server.pid);
		const started = performance.now();
		const sent = await drive(senders, rate, options.durationMs);
		const expected = sent * (PER_ROOM - 1);
		await waitUntil(
			async () => (await stats()).messages.reduce((a, b) => a + b, 0) >= expected,
			10_000,
			'many-rooms drain'
		).catch(() => undefined);
		const elapsedMs = performance.now() - started;
		const usage = window.stop();
		const final = await stats();
		const delivered = final.messages.reduce((a, b) => a + b, 0);
		const net = round((usage.cpuMicros - idleMicrosPerMs * elapsedMs) / Math.max(1, sent));
		const row = deliveryRow({
			scenario: options.summaries ? 'rooms-summaries' : options.signed ? 'rooms-signed' : 'rooms',
			server: target,
			config: `${rooms} rooms x ${PER_ROOM} clients, ${rate} msgs/s in all, ${options.durationMs / 1000} s${options.summaries ? `, + ${feeds.length} user sockets` : ''}`,
			delivered,
			expected,
			elapsedS: elapsedMs / 1000,
			latency: summarize(final.latencies),
			usage,
			extra: {
				sent,
				cpuUsPerMsg: round(usage.cpuMicros / Math.max(1, sent)),
				cpuUsPerMsgNetIdle: net,
				idleCpuPct: round(idleMicrosPerMs / 10, 1),
				...(options.summaries
					? { summaryFrames: feeds.reduce((n, feed) => n + feed.frames.length, 0) }
					: {})
			}
		});
		return { row };
	} finally {
		for (const sender of senders) sender.close();
		for (const feed of feeds) feed.close();
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** Parley and the reference servers back to back, with Parley's ratio to each. */
export async function runRooms(options: {
	rooms: number;
	durationMs: number;
	targets?: readonly Target[];
	/** Parley only, with a user socket (summary channel) for every member: their extra CPU. */
	summaries?: boolean;
	/** Parley only, every message signed and verified (gate rule 7): its extra CPU. */
	signed?: boolean;
}): Promise<Row[]> {
	const targets =
		options.summaries || options.signed
			? (['parley'] as const)
			: (options.targets ?? ['parley', 'y-websocket', 'hocuspocus']);
	const results = new Map<Target, RoomsResult>();
	for (const target of targets) {
		const result = await measureRooms(target, {
			rooms: options.rooms,
			rate: options.rooms,
			durationMs: options.durationMs,
			summaries: options.summaries,
			signed: options.signed
		});
		console.log(JSON.stringify(result.row));
		results.set(target, result);
	}
	const parley = results.get('parley')?.row;
	return [...results.values()].map(({ row }) => {
		if (!parley || row.server === 'parley') return row;
		return {
			...row,
			extra: {
				...row.extra,
				parleyCpuRatio: ratioOf(parley, row, 'cpuUsPerMsg'),
				parleyCpuRatioNetIdle: ratioOf(parley, row, 'cpuUsPerMsgNetIdle')
			}
		};
	});
}

/** Parley's figure over the other server's; NaN when either is not a positive number (noise). */
function ratioOf(parley: Row, other: Row, key: string): number {
	const a = parley.extra[key];
	const b = other.extra[key];
	return typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0
		? round(a / b)
		: Number.NaN;
}
