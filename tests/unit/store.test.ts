import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openDatabase, type Db } from '../../src/lib/server/db';
import { createRoom } from '../../src/lib/server/rooms';
import { SqliteStore, UnknownRoomError } from '../../sync-server/store';
import { messageTexts, messageUpdate } from '../support/messages';
import { openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
let store: SqliteStore;
let roomA: string;
let roomB: string;

beforeEach(() => {
	temp = openTempDatabase('parley-store-', ['u1']);
	db = temp.db;
	roomA = createRoom(db, 'u1', 'A', 'private').id;
	roomB = createRoom(db, 'u1', 'B', 'private').id;
	store = new SqliteStore(db);
});

afterEach(() => {
	temp.dispose();
});

describe('SqliteStore', () => {
	it('numbers each room’s updates 1, 2, 3 without gaps, across batches', () => {
		const docA = new Y.Doc();
		const first = store.append([
			{ roomId: roomA, data: messageUpdate(docA, 'u1', 'a1') },
			{ roomId: roomB, data: messageUpdate(new Y.Doc(), 'u1', 'b1') },
			{ roomId: roomA, data: messageUpdate(docA, 'u1', 'a2') }
		]);
		const second = store.append([{ roomId: roomA, data: messageUpdate(docA, 'u1', 'a3') }]);
		expect(first.map((u) => u.seq)).toEqual([1, 1, 2]);
		expect(second.map((u) => u.seq)).toEqual([3]);
		expect(store.loadRoom(roomA).seq).toBe(3);
		expect(store.loadRoom(roomB).seq).toBe(1);
		expect(messageTexts(store.loadRoom(roomA).updates)).toEqual(['a1', 'a2', 'a3']);
	});

	it('stores nothing of a batch when any part of it fails', () => {
		const doc = new Y.Doc();
		store.append([{ roomId: roomA, data: messageUpdate(doc, 'u1', 'kept') }]);
		expect(() =>
			store.append([
				{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', 'lost') },
				{ roomId: 'nosuchroom', data: messageUpdate(new Y.Doc(), 'u1', 'bad') }
			])
		).toThrow(UnknownRoomError);
		expect(store.loadRoom(roomA).seq).toBe(1);
		expect(messageTexts(store.loadRoom(roomA).updates)).toEqual(['kept']);
		expect(
			store.append([{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', 'next') }])[0]?.seq
		).toBe(2);
	});

	it('reads the log after a given seq', () => {
		for (const text of ['1', '2', '3', '4']) {
			store.append([{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', text) }]);
		}
		const since = store.readSince(roomA, 2);
		expect(since.map((u) => u.seq)).toEqual([3, 4]);
		expect(messageTexts(since.map((u) => u.data)).sort()).toEqual(['3', '4']);
		expect(store.readSince(roomA, 4)).toEqual([]);
	});

	it('after compaction loads the same document and serves the snapshot to readers behind it', () => {
		const doc = new Y.Doc();
		for (const text of ['1', '2', '3']) {
			store.append([{ roomId: roomA, data: messageUpdate(doc, 'u1', text) }]);
		}
		store.compact(roomA, 3, Y.encodeStateAsUpdate(doc));
		store.append([{ roomId: roomA, data: messageUpdate(doc, 'u1', '4') }]);

		expect(store.logLength(roomA)).toBe(1);
		const loaded = store.loadRoom(roomA);
		expect(loaded.seq).toBe(4);
		expect(messageTexts(loaded.updates)).toEqual(['1', '2', '3', '4']);

		const behind = store.readSince(roomA, 1);
		expect(behind.map((u) => u.seq)).toEqual([3, 4]);
		expect(messageTexts(behind.map((u) => u.data))).toEqual(['1', '2', '3', '4']);
		expect(store.readSince(roomA, 3).map((u) => u.seq)).toEqual([4]);
	});

	it('never moves a snapshot backwards', () => {
		const doc = new Y.Doc();
		for (const text of ['1', '2'])
			store.append([{ roomId: roomA, data: messageUpdate(doc, 'u1', text) }]);
		store.compact(roomA, 2, Y.encodeStateAsUpdate(doc));
		store.compact(roomA, 1, new Uint8Array([0, 0]));
		expect(messageTexts(store.loadRoom(roomA).updates)).toEqual(['1', '2']);
	});

	it('keeps seqs unique and gapless when two connections to one file append interleaved', () => {
		const otherDb = openDatabase(temp.file);
		const other = new SqliteStore(otherDb);
		try {
			const seqs: number[] = [];
			for (let i = 0; i < 50; i++) {
				const writer = i % 3 === 0 ? other : store;
				const batch = [
					{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', `m${i}`) },
					{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', `n${i}`) }
				];
				seqs.push(...writer.append(batch).map((u) => u.seq));
			}
			expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
			expect(other.loadRoom(roomA).seq).toBe(100);
			expect(store.readSince(roomA, 0).map((u) => u.seq)).toEqual(seqs);
		} finally {
			otherDb.close();
		}
	});

	it('refuses to load a room that does not exist', () => {
		expect(() => store.loadRoom('nosuchroom')).toThrow(UnknownRoomError);
	});
});
