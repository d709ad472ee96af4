/**
 * A real SQLite database in a fresh temp dir, migrated, for unit tests of the parts that store
 * things; `dispose()` closes it and removes the dir.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRoom } from '../../src/lib/server/rooms';
import { createSqliteStorage, type SqliteStorage } from '../../src/lib/server/storage/sqlite';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import type { Visibility } from '../../src/lib/server/storage/types';
import { makeTempDir } from './server';

export interface TempDatabase {
	readonly db: Db;
	/** The storage on `db` (what the app's domain functions take). */
	readonly storage: SqliteStorage;
	/** The database file, for opening a second connection like another process would. */
	readonly file: string;
	dispose(): void;
}

/** Opens a fresh database in a temp dir named after `prefix`, with `userIds` already inserted. */
export function openTempDatabase(prefix: string, userIds: readonly string[] = []): TempDatabase {
	const dir = makeTempDir(prefix);
	const file = join(dir, 'parley.db');
	const db = openDatabase(file);
	for (const id of userIds) insertUser(db, id);
	return {
		db,
		storage: createSqliteStorage(db),
		file,
		dispose() {
			db.close();
			rmSync(dir, { recursive: true, force: true });
		}
	};
}

/** A user row with a placeholder password hash (these tests never log in); username = id. */
export function insertUser(db: Db, id: string, username = id): void {
	db.prepare(
		"INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, 'x', 0)"
	).run(id, username);
}

/**
 * Storage on an open test connection (not closed by it: `dispose()` closes the connection), so
 * tests of the sync server's parts, which still take a raw `Db`, set up rows the way the app does.
 */
export function storageOn(db: Db): SqliteStorage {
	return createSqliteStorage(db);
}

/** A room of `owner` (its owner membership included) created through the storage; its id. */
export async function createRoomIn(
	db: Db,
	owner: string,
	name: string,
	visibility: Visibility = 'private'
): Promise<string> {
	return (await createRoom(storageOn(db).rooms, owner, name, visibility)).id;
}
