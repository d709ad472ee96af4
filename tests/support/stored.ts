/**
 * Reading what a running server has committed, straight from its SQLite file (WAL: a reader
 * sees every commit), for assertions about durability and sealing.
 */
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { databaseFile } from '../../src/lib/server/storage/sqlite/db';

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
