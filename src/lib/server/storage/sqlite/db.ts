/**
 * SQLite: opening, pragmas and migrations. One connection per process, opened by the
 * composition root (src/lib/server/services.ts) through `openSqliteStorage`.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { migrations, type Migration } from './migrations';

export type Db = Database.Database;

/** How long a writer waits for another process's lock before SQLITE_BUSY, in ms. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * How hard a commit is pushed to the disk (SQLITE_SYNCHRONOUS). In WAL mode, `normal` keeps
 * every committed transaction through a process crash (kill -9) but a power loss or a kernel
 * panic can roll back the last ones (the WAL is fsynced at checkpoints only); `full` fsyncs
 * the WAL at every commit, so a commit also survives those, at the cost of one fsync per
 * (group) commit.
 */
export type SqliteSynchronous = 'normal' | 'full';

/**
 * Opens (creating if needed) the database file and applies pending migrations.
 * WAL lets readers run beside the writer and several processes share the file.
 */
export function openDatabase(
	file: string,
	list: readonly Migration[] = migrations,
	synchronous: SqliteSynchronous = 'normal'
): Db {
	if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
	const db = new Database(file);
	db.pragma('journal_mode = WAL');
	db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
	db.pragma('foreign_keys = ON');
	db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
	migrate(db, list);
	return db;
}

/** The connection's synchronous level (PRAGMA synchronous: 1 NORMAL, 2 FULL, 3 EXTRA). */
export function readSynchronous(db: Db): SqliteSynchronous {
	return Number(db.pragma('synchronous', { simple: true })) >= 2 ? 'full' : 'normal';
}

/** Applies the migrations newer than the database's `user_version`, each in its own transaction. */
export function migrate(db: Db, list: readonly Migration[] = migrations): number {
	const sorted = [...list].sort((a, b) => a.version - b.version);
	let applied = 0;
	for (const migration of sorted) {
		// IMMEDIATE: two instances starting together must not both apply the same migration.
		const step = db.transaction(() => {
			const current = db.pragma('user_version', { simple: true }) as number;
			if (migration.version <= current) return false;
			db.exec(migration.sql);
			db.pragma(`user_version = ${migration.version}`);
			return true;
		});
		if (step.immediate()) applied++;
	}
	return applied;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A statement prepared once per connection and reused: for queries on hot paths (every request,
 * every sync upgrade, every indexed message), where `db.prepare` would cost more than the query.
 * A WeakMap, so a closed (test) database takes its statements with it.
 */
export function cachedStatement<P extends unknown[] = unknown[], R = unknown>(
	db: Db,
	sql: string
): Database.Statement<P, R> {
	let cache = statementCache.get(db);
	if (!cache) statementCache.set(db, (cache = new Map()));
	let statement = cache.get(sql);
	if (!statement) {
		statement = db.prepare(sql);
		cache.set(sql, statement);
	}
	return statement as unknown as Database.Statement<P, R>;
}

export function databaseFile(dataDir: string): string {
	return join(dataDir, 'parley.db');
}
