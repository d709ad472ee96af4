import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openDatabase, type Db } from '../../src/lib/server/db';
import { createRoom } from '../../src/lib/server/rooms';
import { SqliteStore, UnknownRoomError } from '../../sync-server/store';

let dir: string;
let file: string;
let db: Db;
let store: SqliteStore;
let roomA: string;
let roomB: string;

function addUser(target: Db, id: string): void {
	target
		.prepare("INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, 'x', 0)")
		.run(id, id);
}

/** A Yjs update appending one message from a fresh client. */
function messageUpdate(text: string, doc = new Y.Doc()): Uint8Array {
	const before = Y.encodeStateVector(doc);
	doc.getArray('messages').push([{ id: crypto.randomUUID(), author: 'u1', text, ts: 0 }]);
	return Y.encodeStateAsUpdate(doc, before);
}

function texts(updates: readonly Uint8Array[]): string[] {
	const doc = new Y.Doc();
	for (const update of updates) Y.applyUpdate(doc, update);
	return doc
		.getArray<{ text: string }>('messages')
		.toArray()
		.map((m) => m.text);
}

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
	file = join(dir, 'parley.db');
	db = openDatabase(file);
	addUser(db, 'u1');
	roomA = createRoom(db, 'u1', 'A', 'private').id;
	roomB = createRoom(db, 'u1', 'B', 'private').id;
	store = new SqliteStore(db);
});

afterEach(() => {
	db.close();
	rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStore', () => {
	it('numbers each room’s updates 1, 2, 3 without gaps, across batches', () => {
		const docA = new Y.Doc();
		const first = store.append([
			{ roomId: roomA, data: messageUpdate('a1', docA) },
			{ roomId: roomB, data: messageUpdate('b1') },
			{ roomId: roomA, data: messageUpdate('a2', docA) }
		]);
		const second = store.append([{ roomId: roomA, data: messageUpdate('a3', docA) }]);
		expect(first.map((u) => u.seq)).toEqual([1, 1, 2]);
		expect(second.map((u) => u.seq)).toEqual([3]);
		expect(store.loadRoom(roomA).seq).toBe(3);
		expect(store.loadRoom(roomB).seq).toBe(1);
		expect(texts(store.loadRoom(roomA).updates)).toEqual(['a1', 'a2', 'a3']);
	});

	it('stores nothing of a batch when any part of it fails', () => {
		const doc = new Y.Doc();
		store.append([{ roomId: roomA, data: messageUpdate('kept', doc) }]);
		expect(() =>
			store.append([
				{ roomId: roomA, data: messageUpdate('lost') },
				{ roomId: 'nosuchroom', data: messageUpdate('bad') }
			])
		).toThrow(UnknownRoomError);
		expect(store.loadRoom(roomA).seq).toBe(1);
		expect(texts(store.loadRoom(roomA).updates)).toEqual(['kept']);
		expect(store.append([{ roomId: roomA, data: messageUpdate('next') }])[0]?.seq).toBe(2);
	});

	it('reads the log after a given seq', () => {
		for (const text of ['1', '2', '3', '4']) {
			store.append([{ roomId: roomA, data: messageUpdate(text) }]);
		}
		const since = store.readSince(roomA, 2);
		expect(since.map((u) => u.seq)).toEqual([3, 4]);
		expect(texts(since.map((u) => u.data)).sort()).toEqual(['3', '4']);
		expect(store.readSince(roomA, 4)).toEqual([]);
	});

	it('after compaction loads the same document and serves the snapshot to readers behind it', () => {
		const doc = new Y.Doc();
		for (const text of ['1', '2', '3']) {
			store.append([{ roomId: roomA, data: messageUpdate(text, doc) }]);
		}
		store.compact(roomA, 3, Y.encodeStateAsUpdate(doc));
		store.append([{ roomId: roomA, data: messageUpdate('4', doc) }]);

		expect(store.logLength(roomA)).toBe(1);
		const loaded = store.loadRoom(roomA);
		expect(loaded.seq).toBe(4);
		expect(texts(loaded.updates)).toEqual(['1', '2', '3', '4']);

		const behind = store.readSince(roomA, 1);
		expect(behind.map((u) => u.seq)).toEqual([3, 4]);
		expect(texts(behind.map((u) => u.data))).toEqual(['1', '2', '3', '4']);
		expect(store.readSince(roomA, 3).map((u) => u.seq)).toEqual([4]);
	});

	it('never moves a snapshot backwards', () => {
		const doc = new Y.Doc();
		for (const text of ['1', '2'])
			store.append([{ roomId: roomA, data: messageUpdate(text, doc) }]);
		store.compact(roomA, 2, Y.encodeStateAsUpdate(doc));
		store.compact(roomA, 1, new Uint8Array([0, 0]));
		expect(texts(store.loadRoom(roomA).updates)).toEqual(['1', '2']);
	});

	it('keeps seqs unique and gapless when two connections to one file append interleaved', () => {
		const otherDb = openDatabase(file);
		const other = new SqliteStore(otherDb);
		try {
			const seqs: number[] = [];
			for (let i = 0; i < 50; i++) {
				const writer = i % 3 === 0 ? other : store;
				const batch = [
					{ roomId: roomA, data: messageUpdate(`m${i}`) },
					{ roomId: roomA, data: messageUpdate(`n${i}`) }
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
