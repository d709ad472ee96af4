/**
 * `npm run migrate -- --to postgres` (scripts/migrate.ts): a SQLite deployment written through
 * the storage (users, a session, rooms with a log and a snapshot, an invite, a file, the search
 * index) is copied into a fresh PostgreSQL database and verified; the copy serves the same
 * records; a second run into the now non-empty database is refused.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openPostgresStorage } from '../../src/lib/server/storage/postgres';
import { openSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { messageTexts, messageUpdate } from '../support/messages';
import { startPostgres, type PostgresHandle } from '../support/postgres';
import { ROOT, makeTempDir } from '../support/server';

const run = promisify(execFile);
let pg: PostgresHandle;
let dataDir: string;

async function migrate(databaseUrl: string): Promise<{ code: number; output: string }> {
	try {
		const { stdout, stderr } = await run(
			process.execPath,
			['--import', 'tsx', 'scripts/migrate.ts', '--to', 'postgres'],
			{ cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl } }
		);
		return { code: 0, output: stdout + stderr };
	} catch (error) {
		const failed = error as { code?: number; stdout?: string; stderr?: string };
		return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
	}
}

beforeAll(async () => {
	pg = await startPostgres();
	dataDir = makeTempDir('parley-migrate-');
	const lite = openSqliteStorage(join(dataDir, 'parley.db'));
	const now = Date.UTC(2025, 0, 1);
	for (const id of ['alice', 'bob']) {
		await lite.accounts.createUser({
			user: { id, username: id },
			skeleton: id,
			passwordHash: `hash-${id}`,
			now
		});
	}
	await lite.accounts.insertSession({
		id: 's1',
		userId: 'alice',
		secretHash: new Uint8Array([1, 2, 3]),
		createdAt: now,
		lastVerifiedAt: now
	});
	for (const id of ['garden', 'attic']) {
		await lite.rooms.create({
			id,
			name: `room ${id}`,
			visibility: 'private',
			ownerId: 'alice',
			now
		});
	}
	await lite.rooms.addMember('garden', 'bob', now);
	const texts = ['one', 'two', 'three', 'four'];
	const [gardenDoc, atticDoc] = [new Y.Doc(), new Y.Doc()];
	for (const text of texts) {
		await lite.roomLog.commit([
			{ roomId: 'garden', data: messageUpdate(gardenDoc, 'alice', text) },
			{ roomId: 'attic', data: messageUpdate(atticDoc, 'alice', `${text} upstairs`) }
		]);
	}
	// garden: a snapshot of seqs 1-2, the log after it.
	const loaded = await lite.roomLog.readSince('garden', 0);
	await lite.roomLog.compact(
		'garden',
		2,
		Y.mergeUpdates(loaded.updates.slice(0, 2).map((u) => u.data))
	);
	await lite.files.record({
		id: 'f1',
		sha256: 'ab'.repeat(32),
		roomId: 'garden',
		uploaderId: 'alice',
		name: 'plan.pdf',
		type: 'application/pdf',
		size: 10,
		createdAt: now
	});
	await lite.search.writeIndex([
		{
			roomId: 'garden',
			messages: [{ id: 'm1', author: 'alice', text: 'tomatoes need sun', ts: 1 }],
			changes: []
		}
	]);
	await lite.close();
}, 120_000);

afterAll(async () => {
	await pg?.dispose();
	rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('npm run migrate -- --to postgres', () => {
	it('copies a SQLite deployment into PostgreSQL, verified per table and per room', async () => {
		const url = await pg.createDatabase();
		const result = await migrate(url);
		expect(result.output).toContain('verified');
		expect(result.code).toBe(0);
		expect(result.output).toMatch(/ok {3}users: 2 -> 2/);
		expect(result.output).toMatch(/ok {3}room_updates: 6 -> 6/);
		expect(result.output).toMatch(/ok {3}room garden: sha256 [0-9a-f]{64}/);
		expect(result.output).not.toContain('DIFF');

		const copy = await openPostgresStorage(url);
		try {
			expect(messageTexts((await copy.roomLog.load('garden')).updates)).toEqual([
				'one',
				'two',
				'three',
				'four'
			]);
			expect((await copy.roomLog.load('attic')).seq).toBe(4);
			// The next commit continues the room's seqs.
			const [next] = await copy.roomLog.commit([
				{ roomId: 'garden', data: messageUpdate(new Y.Doc(), 'alice', 'five') }
			]);
			expect(next).toMatchObject({ status: 'stored', seq: 5 });
			expect((await copy.accounts.getSession('s1'))?.username).toBe('alice');
			expect(await copy.rooms.membership('garden', 'bob')).toBe('member');
			expect(await copy.files.getForUser('f1', 'bob')).toMatchObject({ ok: true });
			const hits = await copy.search.searchMessages('bob', ['tomat'], 10);
			expect(hits.map((hit) => hit.messageId)).toEqual(['m1']);
		} finally {
			await copy.close();
		}

		const again = await migrate(url);
		expect(again.code).toBe(1);
		expect(again.output).toContain('already holds users');
	});

	it('refuses without a target database', async () => {
		const result = await migrate('');
		expect(result.code).toBe(1);
		expect(result.output).toContain('DATABASE_URL');
	});
});
