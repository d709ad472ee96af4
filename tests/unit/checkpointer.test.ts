/**
 * WAL checkpoints off the event loop (src/lib/server/storage/sqlite/checkpointer.ts): the
 * program's connection never checkpoints itself; a worker thread with its own connection does,
 * and the pages reach the database file; if the worker stops, the connection does it again.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/lib/server/storage/sqlite';
import { startCheckpointer } from '../../src/lib/server/storage/sqlite/checkpointer';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { makeTempDir } from '../support/server';
import { insertUser } from '../support/temp-db';
import { waitFor } from '../support/wait';

let dir: string;
let file: string;

beforeEach(() => {
	dir = makeTempDir('parley-checkpoint-');
	file = join(dir, 'parley.db');
});

afterEach(() => {
	rmSync(dir, { recursive: true, force: true });
});

const autocheckpoint = (db: Db): number =>
	Number(db.pragma('wal_autocheckpoint', { simple: true }));

/** Writes rows enough to fill many pages of the WAL. */
function writeRows(db: Db, count: number): void {
	const insert = db.transaction(() => {
		for (let i = 0; i < count; i++) insertUser(db, `user-${i}-${'x'.repeat(200)}`);
	});
	insert();
}

describe('the SQLite checkpointer', () => {
	it('turns the connection’s own checkpoints off and moves the WAL into the file from a worker', async () => {
		const db = openDatabase(file);
		// Its first pass comes 500 ms after the start: the size check just after the commit below
		// must not race it (a 20 ms interval did, under load).
		const checkpointer = startCheckpointer(db, 500);
		try {
			expect(checkpointer).not.toBeNull();
			expect(autocheckpoint(db)).toBe(0);
			const before = statSync(file).size;
			writeRows(db, 3_000);
			// The commit left its pages in the WAL: the file grows only by a checkpoint.
			expect(statSync(file).size).toBe(before);
			await waitFor('a complete checkpoint by the worker', () => {
				const last = checkpointer?.last;
				return (
					last !== null && last !== undefined && last.log > 0 && last.checkpointed === last.log
				);
			});
			expect(statSync(file).size).toBeGreaterThan(before + 3_000 * 200);
			expect(db.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 3_000 });
		} finally {
			await checkpointer?.stop();
			db.close();
		}
	});

	it('gives checkpointing back to the connection when it stops', async () => {
		const db = openDatabase(file);
		const checkpointer = startCheckpointer(db, 20);
		await checkpointer?.stop();
		expect(autocheckpoint(db)).toBe(1_000);
		db.close();
	});

	it('is not started for an in-memory database (no WAL)', () => {
		const db = openDatabase(':memory:');
		expect(startCheckpointer(db)).toBeNull();
		expect(autocheckpoint(db)).toBe(1_000);
		db.close();
	});

	it('runs under the program’s storage, and closing the storage stops it', async () => {
		const storage: SqliteStorage = openSqliteStorage(file);
		const checkpointer = storage.checkpointer;
		expect(checkpointer).not.toBeNull();
		await waitFor('a first checkpoint', () => (checkpointer?.count ?? 0) > 0);
		await storage.close();
		const counted = checkpointer?.count ?? 0;
		// Stopped: no more results arrive.
		await new Promise((resolve) => setImmediate(resolve));
		expect(checkpointer?.count).toBe(counted);
		// The data survived (the last connection out checkpointed).
		const reopened = openDatabase(file);
		expect(Number(reopened.pragma('user_version', { simple: true }))).toBeGreaterThan(0);
		reopened.close();
	});

	it('keeps a process whose only work left is closing the storage alive until it is closed', () => {
		// A script (a migration, a seed, a bench) that opens the program's storage, closes it
		// and goes on: the worker is unref'd, so its exit must be waited for with a ref.
		const script = `
			import { openSqliteStorage } from ${JSON.stringify(join(process.cwd(), 'src/lib/server/storage/sqlite/index.ts'))};
			const storage = openSqliteStorage(${JSON.stringify(file)});
			await storage.close();
			console.log('closed');
		`;
		const run = spawnSync(
			process.execPath,
			['--import', 'tsx', '--input-type=module', '-e', script],
			{
				encoding: 'utf8',
				timeout: 30_000
			}
		);
		expect({ status: run.status, out: run.stdout.trim() }).toEqual({ status: 0, out: 'closed' });
	});
});
