/**
 * `node --import tsx bench/hot-path.ts [rooms] [messages]`: the sync core's CPU per message in
 * many small rooms, in-process (no sockets, no load generator sharing the cores): a RoomHub on
 * the real SQLite storage with the real search indexer, 5 connections per room (fake sockets
 * that only count bytes), one message at a time round-robin over the rooms, a group commit
 * every few messages. Prints CPU µs per message of the core (gate, apply, commit, forward,
 * receipts, indexing); repeatable enough to compare two versions back to back, and small
 * enough to run under `valgrind --tool=callgrind` for instruction counts.
 */
import pino from 'pino';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as Y from 'yjs';
import { InProcessBus } from '../sync-server/bus';
import { encodeUpdate } from '../sync-server/protocol';
import { RoomHub } from '../sync-server/rooms';
import { createSearchIndexer } from '../sync-server/search-indexer';
import { ByteCounter } from './lib/counting-socket';
import { messageUpdate } from '../tests/support/messages';
import { createRoomIn, insertUser, openTempDatabase } from '../tests/support/temp-db';
import { createSqliteStorage } from '../src/lib/server/storage/sqlite';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rooms = Number(args[0] ?? 500);
const messages = Number(args[1] ?? 20_000);
const checkpointInWorker = process.argv.includes('--checkpointer');
const PER_ROOM = 5;
/** Messages arriving in one event-loop turn (a group commit's batch). */
const PER_TURN = 4;

const out = new ByteCounter();

const temp = openTempDatabase('parley-hot-path-');
const storage = createSqliteStorage(temp.db, { checkpointInWorker });
/** Wall time of every group commit (storage.roomLog.commit, where an on-loop checkpoint runs). */
const commitMs: number[] = [];
let timing = false;
const roomLog: typeof storage.roomLog = {
	...storage.roomLog,
	async commit(batch) {
		const started = performance.now();
		try {
			return await storage.roomLog.commit(batch);
		} finally {
			if (timing) commitMs.push(performance.now() - started);
		}
	}
};
const hub = new RoomHub({
	roomLog,
	bus: new InProcessBus(),
	config: { MAX_MESSAGE_CHARS: 4000, COMPACT_AFTER_UPDATES: 500, ROOM_IDLE_UNLOAD_MS: 600_000 },
	log: pino({ level: 'silent' }),
	indexer: createSearchIndexer(storage.search)
});
const senders: { connection: { receive(frame: Uint8Array): void }; doc: Y.Doc; user: string }[] =
	[];
for (let r = 0; r < rooms; r++) {
	const users = Array.from({ length: PER_ROOM }, (_, u) => `u${r}_${u}`);
	for (const user of users) insertUser(temp.db, user);
	const roomId = await createRoomIn(temp.db, users[0] ?? '', `room ${r}`);
	for (const user of users.slice(1)) await storage.rooms.addMember(roomId, user, Date.now());
	const connections = [];
	for (const user of users) {
		connections.push(await hub.connect(roomId, out.socket(), { userId: user, username: user }));
	}
	senders.push({ connection: connections[0] as never, doc: new Y.Doc(), user: users[0] ?? '' });
}

async function send(count: number): Promise<void> {
	for (let i = 0; i < count; i++) {
		const sender = senders[i % senders.length];
		if (!sender) continue;
		const update = messageUpdate(sender.doc, sender.user, `message ${i} with a few words of text`);
		sender.connection.receive(encodeUpdate(update));
		if (i % PER_TURN === PER_TURN - 1) await nextTurn();
	}
	await hub.flush();
}

// Warm up (JIT, statement caches, every room's first claim), then measure.
await send(Math.min(messages, rooms * 2));
await new Promise((resolve) => setTimeout(resolve, 300));
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
timing = true;
const before = process.cpuUsage();
const started = performance.now();
await send(messages);
await hub.shutdown(); // the last index batch and snapshots: part of what the messages cost
const cpu = process.cpuUsage(before);
loop.disable();
const micros = (cpu.user + cpu.system) / messages;
console.log(
	JSON.stringify({
		rooms,
		messages,
		cpuUsPerMessage: Math.round(micros * 10) / 10,
		wallMs: Math.round(performance.now() - started),
		bytesOutPerMessage: Math.round(out.bytes / messages),
		checkpointInWorker,
		loopDelayP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
		loopDelayMaxMs: Math.round(loop.max / 1e4) / 100,
		...commitFigures(),
		loadavg: loadavg().map((l) => Math.round(l * 100) / 100)
	})
);
await storage.close();
temp.dispose();

/** The group commits' wall time: total, p99, max, and how many took over 10 ms. */
function commitFigures(): Record<string, number> {
	const sorted = [...commitMs].sort((a, b) => a - b);
	const ms = (x: number): number => Math.round(x * 100) / 100;
	return {
		commits: sorted.length,
		commitMsTotal: ms(sorted.reduce((a, b) => a + b, 0)),
		commitMsP99: ms(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
		commitMsMax: ms(sorted.at(-1) ?? 0),
		commitsOver10Ms: sorted.filter((x) => x > 10).length
	};
}
