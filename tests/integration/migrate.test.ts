/**
 * `npm run migrate -- --to postgres` (scripts/migrate.ts): a SQLite deployment written through
 * the storage (users, a session, rooms with a log and a snapshot, an invite, a file, the search
 * index) is copied into a fresh PostgreSQL database and verified, files' bytes into its blob
 * store, each hashed back; the copy serves the same records and bytes; a second run into the now non-empty database is refused.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createLocalBlobStore } from '../../src/lib/server/storage/local/blobs';
import { openPostgresStorage } from '../../src/lib/server/storage/postgres';
import { CHUNK_BYTES } from '../../src/lib/server/storage/postgres/blobs';
import { openSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { streamOf } from '../storage/blob-suite';
import { messageTexts, messageUpdate } from '../support/messages';
import { startPostgres, type PostgresHandle } from '../support/postgres';
import { ROOT, makeTempDir } from '../support/server';

const run = promisify(execFile);
const PLAN = new Uint8Array(CHUNK_BYTES + 12_345).map((_, i) => (i * 31) & 0xff);
const NOTE = new TextEncoder().encode('a short note');

function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

async function readAll(stream: ReadableStream<Uint8Array> | null): Promise<Buffer> {
	const parts: Uint8Array[] = [];
	const reader = stream?.getReader();
	for (let next = await reader?.read(); next && !next.done; next = await reader?.read()) {
		parts.push(next.value);
	}
	return Buffer.concat(parts);
}
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
	// Files' bytes in the local blob store: one over a chunk, recorded twice (kept once).
	const local = createLocalBlobStore(join(dataDir, 'files'));
	for (const [id, bytes] of [
		['f1', PLAN],
		['f2', NOTE],
		['f3', PLAN]
	] as const) {
		const put = await local.put(streamOf([bytes]), 1 << 30);
		if (!put.ok) throw new Error('upload refused');
		await put.blob.commit();
		await lite.files.record({
			id,
			sha256: put.blob.sha256,
			roomId: 'garden',
			uploaderId: 'alice',
			name: `${id}.bin`,
			type: 'application/octet-stream',
			size: put.blob.size,
			createdAt: now
		});
	}
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
		expect(result.output).toContain(`ok   file ${sha256(PLAN)}: ${PLAN.byteLength} bytes`);
		expect(result.output).toContain(`ok   file ${sha256(NOTE)}: ${NOTE.byteLength} bytes`);
		expect(result.output).toContain('2 files into PostgreSQL, verified');
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
			const file = await copy.files.getForUser('f1', 'bob');
			if (!file.ok) throw new Error(`f1 not readable: ${file.reason}`);
			expect(await readAll(await copy.blobs.get(file.file.sha256))).toEqual(Buffer.from(PLAN));
			expect(await readAll(await copy.blobs.get(sha256(NOTE)))).toEqual(Buffer.from(NOTE));
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
