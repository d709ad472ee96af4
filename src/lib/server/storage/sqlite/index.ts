/**
 * The SQLite implementation of `Storage` (better-sqlite3, one connection per process). Its
 * methods run synchronously inside and resolve at once; each is one SQLite transaction.
 */
import type { Storage } from '../types';
import { sqliteAccounts } from './accounts';
import { openDatabase, type Db } from './db';
import { sqliteDevices } from './devices';
import { sqliteFiles } from './files';
import { sqliteHistory } from './history';
import { sqliteRoomLog } from './room-log';
import { sqliteRooms } from './rooms';
import { sqliteSearch } from './search';

/** Storage on SQLite: the interface, nothing more (the connection stays inside). */
export type SqliteStorage = Storage;

/** Storage on an open, migrated connection (closing the storage closes it). */
export function createSqliteStorage(db: Db): SqliteStorage {
	return {
		accounts: sqliteAccounts(db),
		devices: sqliteDevices(db),
		rooms: sqliteRooms(db),
		files: sqliteFiles(db),
		search: sqliteSearch(db),
		history: sqliteHistory(db),
		roomLog: sqliteRoomLog(db),
		async close() {
			if (db.open) db.close();
		}
	};
}

/** Opens (creating and migrating if needed) the database file and returns storage on it. */
export function openSqliteStorage(file: string): SqliteStorage {
	return createSqliteStorage(openDatabase(file));
}
