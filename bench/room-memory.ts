/**
 * `node --expose-gc --import tsx bench/room-memory.ts [rooms]`: the sync core's memory per
 * loaded room, in-process (RSS of a server process hardly falls when memory is freed, so the
 * `memory` scenario cannot show what sleeping gives back): a RoomHub on the real SQLite storage,
 * R rooms of 5 members holding 100 messages each (one snapshot), 5 connections per room (fake
 * sockets) that sync in full, then JS heap + array buffers after forced GCs: with no room
 * loaded, with every room awake, and after every room fell asleep (ROOM_SLEEP_MS).
 */
import pino from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg } from 'node:os';
import * as Y from 'yjs';
import { InProcessBus } from '../sync-server/bus';
import { encodeSyncStep1 } from '../sync-server/protocol';
import { RoomHub } from '../sync-server/rooms';
import { ByteCounter } from './lib/counting-socket';
import { storeAsSnapshot } from '../tests/support/stored';
import { createRoomIn, insertUser, openTempDatabase } from '../tests/support/temp-db';
import { buildHistory } from './lib/seed';

const rooms = Number(process.argv[2] ?? 1_000);
const PER_ROOM = 5;
const MESSAGES = 100;
const SLEEP_MS = 5_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const out = new ByteCounter();

/** JS heap + array buffers after forced GCs, in bytes. */
async function used(): Promise<number> {
	for (let i = 0; i < 3; i++) {
		gc?.();
		await sleep(10);
	}
	const m = process.memoryUsage();
	return m.heapUsed + m.arrayBuffers;
}

const temp = openTempDatabase('parley-room-memory-');
const hub = new RoomHub({
	roomLog: temp.storage.roomLog,
	bus: new InProcessBus(),
	config: {
		MAX_MESSAGE_CHARS: 4000,
		COMPACT_AFTER_UPDATES: 500,
		ROOM_IDLE_UNLOAD_MS: 600_000,
		ROOM_SLEEP_MS: SLEEP_MS
	},
	log: pino({ level: 'silent' })
});
const roomIds: { id: string; users: string[] }[] = [];
for (let r = 0; r < rooms; r++) {
	const users = Array.from({ length: PER_ROOM }, (_, u) => `u${r}_${u}`);
	for (const user of users) insertUser(temp.db, user);
	const id = await createRoomIn(temp.db, users[0] ?? '', `room ${r}`);
	for (const user of users.slice(1)) await temp.storage.rooms.addMember(id, user, Date.now());
	await storeAsSnapshot(temp.storage.roomLog, id, buildHistory(MESSAGES, users));
	roomIds.push({ id, users });
}

const none = await used();
const empty = encodeSyncStep1(new Y.Doc());
for (const { id, users } of roomIds) {
	for (const user of users) {
		const connection = await hub.connect(id, out.socket(), { userId: user, username: user });
		connection.receive(empty);
	}
}
// Connecting 5,000 sockets takes longer than ROOM_SLEEP_MS on a loaded machine: wake them all.
for (const room of hub.rooms.values()) room.doc.getArray('messages');
const awake = await used();
const asleepBefore = [...hub.rooms.values()].filter((room) => room.asleep).length;
await sleep(SLEEP_MS * 3);
const asleepCount = [...hub.rooms.values()].filter((room) => room.asleep).length;
const asleep = await used();
const kb = (bytes: number): number => Math.round(bytes / rooms / 102.4) / 10;
console.log(
	JSON.stringify({
		rooms,
		perRoom: PER_ROOM,
		messages: MESSAGES,
		kbPerRoomAwake: kb(awake - none),
		kbPerRoomAsleep: kb(asleep - none),
		roomsAsleep: asleepCount,
		roomsAsleepBeforeTheWait: asleepBefore,
		bytesOut: out.bytes,
		loadavg: loadavg().map((l) => Math.round(l * 100) / 100)
	})
);
await hub.shutdown();
temp.dispose();
