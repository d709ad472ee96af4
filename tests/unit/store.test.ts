import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { ClientIdClaims } from '../../sync-server/client-ids';
import { buildSeal } from '../../sync-server/seal';
import { SqliteStore, UnknownRoomError } from '../../sync-server/store';
import { messageTexts, messageUpdate } from '../support/messages';
import { createRoomIn, openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
let store: SqliteStore;
let roomA: string;
let roomB: string;

beforeEach(async () => {
	temp = openTempDatabase('parley-store-', ['u1']);
	db = temp.db;
	roomA = await createRoomIn(db, 'u1', 'A');
	roomB = await createRoomIn(db, 'u1', 'B');
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
		expect(first.map((u) => u?.seq)).toEqual([1, 1, 2]);
		expect(second.map((u) => u?.seq)).toEqual([3]);
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
		const since = store.readSince(roomA, 2).updates;
		expect(since.map((u) => u.seq)).toEqual([3, 4]);
		expect(messageTexts(since.map((u) => u.data)).sort()).toEqual(['3', '4']);
		expect(store.readSince(roomA, 4)).toEqual({ epoch: 0, updates: [] });
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

		const behind = store.readSince(roomA, 1).updates;
		expect(behind.map((u) => u.seq)).toEqual([3, 4]);
		expect(messageTexts(behind.map((u) => u.data))).toEqual(['1', '2', '3', '4']);
		expect(store.readSince(roomA, 3).updates.map((u) => u.seq)).toEqual([4]);
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
				seqs.push(...writer.append(batch).map((u) => u?.seq ?? 0));
			}
			expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
			expect(other.loadRoom(roomA).seq).toBe(100);
			expect(store.readSince(roomA, 0).updates.map((u) => u.seq)).toEqual(seqs);
		} finally {
			otherDb.close();
		}
	});

	it('refuses to load a room that does not exist', () => {
		expect(() => store.loadRoom('nosuchroom')).toThrow(UnknownRoomError);
	});
});

/** Every row of the room's history tables and head, to compare before and after. */
function roomRows(roomId: string): unknown {
	const all = (sql: string): unknown[] => db.prepare(sql).all(roomId);
	return {
		rooms: all('SELECT last_seq, epoch FROM rooms WHERE id = ?'),
		segments: all(
			'SELECT n, epoch, count, first_id, last_id, data FROM room_segments WHERE room_id = ?'
		),
		ids: all('SELECT id, author FROM room_message_ids WHERE room_id = ? ORDER BY id'),
		epochs: all('SELECT epoch, state_vector FROM room_epochs WHERE room_id = ?'),
		updates: all('SELECT seq, data FROM room_updates WHERE room_id = ? ORDER BY seq'),
		snapshots: all('SELECT data, upto_seq FROM room_snapshots WHERE room_id = ?'),
		clientIds: all('SELECT client_id, user_id FROM client_ids WHERE room_id = ?')
	};
}

/** Appends `count` messages written by `doc` (one update each); returns the messages' doc. */
function writeMessages(roomId: string, doc: Y.Doc, count: number, prefix: string): void {
	for (let i = 0; i < count; i++) {
		store.append([{ roomId, data: messageUpdate(doc, 'u1', `${prefix}${i}`) }]);
	}
}

function headDoc(roomId: string): Y.Doc {
	const doc = new Y.Doc();
	for (const update of store.loadRoom(roomId).updates) Y.applyUpdate(doc, update);
	return doc;
}

describe('SqliteStore.seal', () => {
	it('writes segments, ids, the epoch and the new head as the only state, in one go', () => {
		const doc = new Y.Doc();
		writeMessages(roomA, doc, 5, 'a');
		const firstId = doc.getArray<{ id: string }>('messages').get(0).id;
		doc.getMap('changes').set(firstId, { text: 'edited', ts: 9 });
		store.append([
			{ roomId: roomA, data: Y.encodeStateAsUpdate(doc, Y.encodeStateVector(headDoc(roomA))) }
		]);
		store.compact(roomA, 3, Y.encodeStateAsUpdate(headDoc(roomA)));
		new ClientIdClaims(db).claim(roomA, doc.clientID, 'u1');
		new ClientIdClaims(db).claim(roomB, 77, 'u1');
		expect(store.loadRoom(roomA)).toMatchObject({ seq: 6, epoch: 0 });

		const seal = buildSeal(headDoc(roomA), 2);
		expect(store.seal(roomA, { epoch: 0, lastSeq: 6 }, seal)).toBe(1);

		const rows = roomRows(roomA) as {
			rooms: { last_seq: number; epoch: number }[];
			segments: { n: number; epoch: number; count: number; data: Buffer }[];
			ids: unknown[];
			epochs: { epoch: number; state_vector: Buffer }[];
			updates: unknown[];
			snapshots: { data: Buffer; upto_seq: number }[];
			clientIds: unknown[];
		};
		expect(rows.rooms).toEqual([{ last_seq: 7, epoch: 1 }]);
		expect(rows.segments.map((r) => [r.n, r.epoch, r.count])).toEqual([
			[0, 0, 2],
			[1, 0, 2],
			[2, 0, 1]
		]);
		expect(
			rows.segments
				.flatMap((r) => JSON.parse(gunzipSync(r.data).toString()) as { text: string }[])
				.map((m) => m.text)
		).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
		expect(rows.ids).toHaveLength(5);
		expect(rows.epochs.map((r) => [r.epoch, new Uint8Array(r.state_vector)])).toEqual([
			[0, seal.stateVector]
		]);
		expect(rows.updates).toEqual([]);
		expect(rows.snapshots.map((r) => [new Uint8Array(r.data), r.upto_seq])).toEqual([
			[seal.head, 7]
		]);
		// clientIDs are claimed per head; other rooms keep theirs.
		expect(rows.clientIds).toEqual([]);
		expect(new ClientIdClaims(db).load(roomB)).toEqual(new Map([[77, 'u1']]));

		const loaded = store.loadRoom(roomA);
		expect(loaded).toMatchObject({ seq: 7, epoch: 1 });
		const head = headDoc(roomA);
		expect(head.getArray('messages').length).toBe(0);
		expect(head.getMap('changes').get(firstId)).toEqual({ text: 'edited', ts: 9 });
		expect(store.sealedAuthorOf(roomA, firstId)).toBe('u1');
		expect(store.sealedAuthorOf(roomB, firstId)).toBeUndefined();
		// The log goes on after the head's snapshot.
		expect(
			store.append([{ roomId: roomA, data: messageUpdate(head, 'u1', 'b0'), epoch: 1 }])
		).toMatchObject([{ seq: 8 }]);
		expect(messageTexts(store.loadRoom(roomA).updates)).toEqual(['b0']);
	});

	it('numbers segments on after the room’s earlier epochs', () => {
		const first = new Y.Doc();
		writeMessages(roomA, first, 3, 'a');
		expect(store.seal(roomA, { epoch: 0, lastSeq: 3 }, buildSeal(headDoc(roomA), 2))).toBe(1);
		const second = headDoc(roomA);
		writeMessages(roomA, second, 3, 'b');
		expect(store.seal(roomA, { epoch: 1, lastSeq: 7 }, buildSeal(headDoc(roomA), 2))).toBe(2);
		const segments = db
			.prepare<[string], { n: number; epoch: number; count: number }>(
				'SELECT n, epoch, count FROM room_segments WHERE room_id = ? ORDER BY n'
			)
			.all(roomA);
		expect(segments).toEqual([
			{ n: 0, epoch: 0, count: 2 },
			{ n: 1, epoch: 0, count: 1 },
			{ n: 2, epoch: 1, count: 2 },
			{ n: 3, epoch: 1, count: 1 }
		]);
		expect(store.loadRoom(roomA)).toMatchObject({ seq: 8, epoch: 2 });
	});

	it('writes nothing and answers null when the epoch or the log moved on', () => {
		const doc = new Y.Doc();
		writeMessages(roomA, doc, 3, 'a');
		new ClientIdClaims(db).claim(roomA, doc.clientID, 'u1');
		const seal = buildSeal(headDoc(roomA), 2);
		const before = roomRows(roomA);
		// Another instance sealed first (epoch), or committed since this doc was read (seq).
		expect(store.seal(roomA, { epoch: 1, lastSeq: 3 }, seal)).toBeNull();
		expect(store.seal(roomA, { epoch: 0, lastSeq: 2 }, seal)).toBeNull();
		expect(roomRows(roomA)).toEqual(before);
		expect(() => store.seal('nosuchroom', { epoch: 0, lastSeq: 0 }, seal)).toThrow(
			UnknownRoomError
		);
	});

	it('stores nothing of an append gated against a sealed head, and commits the other rooms', () => {
		const doc = new Y.Doc();
		writeMessages(roomA, doc, 2, 'a');
		expect(store.seal(roomA, { epoch: 0, lastSeq: 2 }, buildSeal(headDoc(roomA), 5))).toBe(1);
		const before = roomRows(roomA);
		const result = store.append([
			{ roomId: roomA, data: messageUpdate(doc, 'u1', 'late'), epoch: 0 },
			{ roomId: roomB, data: messageUpdate(new Y.Doc(), 'u1', 'b'), epoch: 0 },
			{ roomId: roomA, data: messageUpdate(doc, 'u1', 'later'), epoch: 0 }
		]);
		expect(result.map((entry) => entry?.seq ?? null)).toEqual([null, 1, null]);
		expect(roomRows(roomA)).toEqual(before);
		expect(messageTexts(store.loadRoom(roomB).updates)).toEqual(['b']);
		// The right epoch (or none: no check) commits.
		expect(
			store.append([{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', 'c'), epoch: 1 }])
		).toMatchObject([{ seq: 4 }]);
	});

	it('tells a reader behind a seal the new epoch along with the new head', () => {
		const doc = new Y.Doc();
		writeMessages(roomA, doc, 2, 'a');
		expect(store.readSince(roomA, 1).epoch).toBe(0);
		const seal = buildSeal(headDoc(roomA), 5);
		store.seal(roomA, { epoch: 0, lastSeq: 2 }, seal);
		const log = store.readSince(roomA, 1);
		expect(log.epoch).toBe(1);
		expect(log.updates).toEqual([{ seq: 3, data: seal.head }]);
	});

	it('does not compact a head sealed meanwhile', () => {
		const doc = new Y.Doc();
		writeMessages(roomA, doc, 2, 'a');
		const stale = Y.encodeStateAsUpdate(headDoc(roomA));
		store.seal(roomA, { epoch: 0, lastSeq: 2 }, buildSeal(headDoc(roomA), 5));
		const before = roomRows(roomA);
		store.compact(roomA, 5, stale, 0);
		expect(roomRows(roomA)).toEqual(before);
	});
});
