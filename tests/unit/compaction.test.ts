/**
 * Compaction in proportion to the document: a long room is not re-encoded and rewritten every
 * COMPACT_AFTER_UPDATES small updates, only once the log holds COMPACT_LOG_SHARE of the
 * snapshot's bytes (and, as before, more than COMPACT_AFTER_UPDATES entries).
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Db } from '../../src/lib/server/storage/sqlite/db';
import { InProcessBus } from '../../sync-server/bus';
import { COMPACT_LOG_SHARE, CompactionPolicy } from '../../sync-server/compaction';
import { encodeUpdate } from '../../sync-server/protocol';
import { RoomHub } from '../../sync-server/rooms';
import { createRoomIn, openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
let hub: RoomHub;
let roomId: string;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(async () => {
	temp = openTempDatabase('parley-compaction-', ['alice']);
	db = temp.db;
	roomId = await createRoomIn(db, 'alice', 'room');
	hub = new RoomHub({
		roomLog: temp.storage.roomLog,
		bus: new InProcessBus(),
		config: { MAX_MESSAGE_CHARS: 4000, COMPACT_AFTER_UPDATES: 3, ROOM_IDLE_UNLOAD_MS: 60_000 },
		log: pino({ level: 'silent' })
	});
});

afterEach(async () => {
	await hub.shutdown();
	temp.dispose();
});

describe('compaction of a long room', () => {
	it('waits until the log holds a quarter of the snapshot’s bytes, then folds it', async () => {
		// A history of 300 messages as the snapshot (about 25 kB).
		const history = new Y.Doc();
		for (let i = 0; i < 300; i++) {
			history
				.getArray('messages')
				.push([
					{ id: crypto.randomUUID(), author: 'alice', text: `old message ${i}`, ts: Date.now() + i }
				]);
		}
		const snapshot = Y.encodeStateAsUpdate(history);
		db.prepare('UPDATE rooms SET last_seq = 1 WHERE id = ?').run(roomId);
		await temp.storage.roomLog.compact(roomId, 1, snapshot);

		const doc = new Y.Doc();
		Y.applyUpdate(doc, snapshot);
		const connection = await hub.connect(
			roomId,
			{ send: () => {}, close: () => {}, bufferedAmount: 0 },
			{ userId: 'alice', username: 'alice' }
		);
		const send = (text: string): void => {
			const before = Y.encodeStateVector(doc);
			doc
				.getArray('messages')
				.push([{ id: crypto.randomUUID(), author: 'alice', text, ts: Date.now() }]);
			connection.receive(encodeUpdate(Y.encodeStateAsUpdate(doc, before)));
		};

		for (let i = 0; i < 6; i++) {
			send(`short ${i}`);
			await nextTurn();
		}
		await nextTurn();
		// Past COMPACT_AFTER_UPDATES, but a few hundred bytes against a 25 kB snapshot: kept.
		expect(await temp.storage.roomLog.logLength(roomId)).toBe(6);

		const long = 'x'.repeat(Math.ceil(snapshot.byteLength / 8));
		send(long);
		await nextTurn();
		send(long);
		await nextTurn();
		await nextTurn();
		expect(await temp.storage.roomLog.logLength(roomId)).toBe(0);
		const reloaded = new Y.Doc();
		for (const update of (await temp.storage.roomLog.load(roomId)).updates)
			Y.applyUpdate(reloaded, update);
		expect(reloaded.getArray('messages').length).toBe(308);
	});
});

describe('compaction policy', () => {
	it('is due only past COMPACT_AFTER_UPDATES entries AND COMPACT_LOG_SHARE of the snapshot’s bytes', () => {
		const policy = new CompactionPolicy(2, { logLength: 0, snapshotBytes: 1_000 });
		policy.appended(100);
		policy.appended(100);
		policy.appended(10);
		expect(policy.due).toBe(false);
		policy.appended(1_000 * COMPACT_LOG_SHARE);
		expect(policy.due).toBe(true);
		policy.compacted(2_000);
		expect(policy.logLength).toBe(0);
		expect(policy.due).toBe(false);
	});
});
