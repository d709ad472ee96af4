import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { migrations } from '../../src/lib/server/storage/sqlite/migrations';
import { makeTempDir } from '../support/server';

let dir: string;
let db: Db;

beforeEach(() => {
	dir = makeTempDir('parley-migrations-');
	db = openDatabase(join(dir, 'parley.db'));
});

afterEach(() => {
	db.close();
	rmSync(dir, { recursive: true, force: true });
});

const latest = Math.max(...migrations.map((migration) => migration.version));

describe('migrations', () => {
	it('bring a fresh database to the latest version with every table', () => {
		expect(db.pragma('user_version', { simple: true })).toBe(latest);
		const tables = (
			db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
		).map((row) => row.name);
		expect(tables).toEqual(
			expect.arrayContaining([
				'users',
				'sessions',
				'rooms',
				'memberships',
				'room_updates',
				'room_snapshots',
				'client_ids',
				'invites'
			])
		);
	});

	it('apply nothing when run again, in the same process or after reopening', () => {
		expect(migrate(db)).toBe(0);
		db.close();
		db = openDatabase(join(dir, 'parley.db'));
		expect(migrate(db)).toBe(0);
		expect(db.pragma('user_version', { simple: true })).toBe(latest);
	});

	it('open the database with foreign keys enforced and the WAL journal', () => {
		expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
		expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
		expect(() =>
			db
				.prepare(
					"INSERT INTO sessions (id, secret_hash, user_id, created_at, last_verified_at) VALUES ('s', x'00', 'nobody', 0, 0)"
				)
				.run()
		).toThrow(/FOREIGN KEY/);
	});

	it('upgrade a version 1 database: existing rooms become ordinary rooms', () => {
		const file = join(dir, 'old.db');
		const old = openDatabase(
			file,
			migrations.filter((migration) => migration.version === 1)
		);
		old
			.prepare(
				"INSERT INTO users (id, username, password_hash, created_at) VALUES ('u', 'u', 'x', 0)"
			)
			.run();
		old
			.prepare(
				"INSERT INTO rooms (id, name, visibility, owner_id, created_at) VALUES ('r', 'Old', 'public', 'u', 0)"
			)
			.run();
		old.close();
		const upgraded = openDatabase(file);
		expect(upgraded.prepare("SELECT kind, dm_key FROM rooms WHERE id = 'r'").get()).toEqual({
			kind: 'room',
			dm_key: null
		});
		upgraded.close();
	});

	it('make usernames unique regardless of case', () => {
		const insert = db.prepare(
			"INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, 'x', 0)"
		);
		insert.run('u1', 'Alice');
		expect(() => insert.run('u2', 'alice')).toThrow(/UNIQUE/);
	});

	it('give existing users a look-alike skeleton, keeping both accounts when two collide', () => {
		const file = join(dir, 'before-skeletons.db');
		const old = openDatabase(
			file,
			migrations.filter((migration) => migration.version < 9)
		);
		const insert = old.prepare(
			"INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, 'x', ?)"
		);
		insert.run('u-old', 'bob1', 1);
		insert.run('u-new', 'bobl', 2);
		insert.run('u-other', 'Carol', 3);
		old.close();

		const upgraded = openDatabase(file);
		const rows = upgraded
			.prepare('SELECT id, username_skeleton AS skeleton FROM users ORDER BY id')
			.all();
		expect(rows).toEqual([
			{ id: 'u-new', skeleton: null },
			{ id: 'u-old', skeleton: 'bobl' },
			{ id: 'u-other', skeleton: 'carol' }
		]);
		expect(() =>
			upgraded
				.prepare(
					"INSERT INTO users (id, username, username_skeleton, password_hash, created_at) VALUES ('u3', 'boBI', 'bobl', 'x', 4)"
				)
				.run()
		).toThrow(/UNIQUE/);
		upgraded.close();
	});
});
