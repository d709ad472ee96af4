/**
 * The SQLite implementation of `Storage` (better-sqlite3, one connection per process). Its
 * methods run synchronously inside and resolve at once; each is one SQLite transaction.
 */
import type { Storage } from '../types';
import { sqliteAccounts } from './accounts';
import { startCheckpointer, type Checkpointer } from './checkpointer';
import { openDatabase, readSynchronous, type Db, type SqliteSynchronous } from './db';
import { migrations } from './migrations';
import { sqliteDevices } from './devices';
import { sqliteFiles } from './files';
import { sqliteHistory } from './history';
import { sqliteRoomLog } from './room-log';
import { sqliteRooms } from './rooms';
import { sqliteSearch } from './search';
import { sqliteSummaries } from './summaries';

/** Storage on SQLite: the interface, and what its connection promises (the connection stays inside). */
export type SqliteStorage = Storage & {
	/** SQLite's synchronous setting as the connection reports it (PRAGMA read-back). */
	synchronous(): SqliteSynchronous;
	/** The worker that checkpoints the WAL off the event loop, or null (checkpointer.ts). */
	readonly checkpointer: Checkpointer | null;
};

/**
 * Storage on an open, migrated connection (closing the storage closes it). With
 * `checkpointInWorker` (what the program opens), a worker thread checkpoints the WAL.
 */
export function createSqliteStorage(
	db: Db,
	options: { readonly checkpointInWorker?: boolean } = {}
): SqliteStorage {
	const checkpointer = options.checkpointInWorker ? startCheckpointer(db) : null;
	return {
		accounts: sqliteAccounts(db),
		devices: sqliteDevices(db),
		rooms: sqliteRooms(db),
		files: sqliteFiles(db),
		search: sqliteSearch(db),
		history: sqliteHistory(db),
		roomLog: sqliteRoomLog(db),
		synchronous: () => readSynchronous(db),
		summaries: sqliteSummaries(db),
		checkpointer,
		async close() {
			// First the worker (its connection), then ours: the last one out checkpoints.
			await checkpointer?.stop();
			if (db.open) db.close();
		}
	};
}

/** Opens (creating and migrating if needed) the database file and returns storage on it. */
export function openSqliteStorage(
	file: string,
	synchronous: SqliteSynchronous = 'normal'
): SqliteStorage {
	return createSqliteStorage(openDatabase(file, migrations, synchronous), {
		checkpointInWorker: true
	});
}
