/**
 * Reading what a running server has committed, straight from its SQLite file (WAL: a reader
 * sees every commit), for assertions about durability and sealing.
 */
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { openSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { databaseFile } from '../../src/lib/server/storage/sqlite/db';
import type { RoomLogStorage, Storage } from '../../src/lib/server/storage/types';

/** Opens the server's database read-only for one read. */
export function readServerDb<T>(dataDir: string, read: (db: Database.Database) => T): T {
	const db = new Database(databaseFile(dataDir), { readonly: true, fileMustExist: true });
	try {
		return read(db);
	} finally {
		db.close();
	}
}

/** The room's live document (its head) as SQLite holds it: snapshot + log, on a fresh doc. */
export function storedRoomDoc(dataDir: string, roomId: string): Y.Doc {
	return readServerDb(dataDir, (db) => {
		const doc = new Y.Doc();
		const snapshot = db
			.prepare<[string], { data: Buffer }>('SELECT data FROM room_snapshots WHERE room_id = ?')
			.get(roomId);
		if (snapshot) Y.applyUpdate(doc, snapshot.data);
		const rows = db
			.prepare<[string], { data: Buffer }>(
				'SELECT data FROM room_updates WHERE room_id = ? ORDER BY seq'
			)
			.all(roomId);
		for (const row of rows) Y.applyUpdate(doc, row.data);
		return doc;
	});
}

/** The ids of the messages the room's live document holds, in order, as SQLite has them. */
export function storedMessageIds(dataDir: string, roomId: string): string[] {
	const doc = storedRoomDoc(dataDir, roomId);
	try {
		return doc
			.getArray<{ id: string }>('messages')
			.toArray()
			.map((message) => message.id);
	} finally {
		doc.destroy();
	}
}

/** Runs `work` on storage opened on the server's database file, then closes it. */
export async function withServerStorage<T>(
	dataDir: string,
	work: (storage: Storage) => Promise<T>
): Promise<T> {
	const storage = openSqliteStorage(databaseFile(dataDir));
	try {
		return await work(storage);
	} finally {
		await storage.close();
	}
}

/** Stores `state` as the room's whole log, then compacts it into the snapshot, as a server would. */
export async function storeAsSnapshot(
	roomLog: RoomLogStorage,
	roomId: string,
	state: Uint8Array
): Promise<void> {
	const [outcome] = await roomLog.commit([{ roomId, data: state }]);
	if (outcome?.status !== 'stored') throw new Error(`not stored: ${outcome?.status}`);
	await roomLog.compact(roomId, outcome.seq, state);
}

/** A message id for history message `n`: a UUID, as the room document's schema wants. */
export function historyId(n: number): string {
	return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Stores a room whose `messages` are `messages` as its snapshot, as compaction leaves it. */
export async function storeMessagesAsSnapshot(
	dataDir: string,
	roomId: string,
	messages: readonly Record<string, unknown>[]
): Promise<void> {
	const doc = new Y.Doc();
	doc.getArray('messages').push([...messages]);
	try {
		await withServerStorage(dataDir, (storage) =>
			storeAsSnapshot(storage.roomLog, roomId, Y.encodeStateAsUpdate(doc))
		);
	} finally {
		doc.destroy();
	}
}
