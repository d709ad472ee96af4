/**
 * The PostgreSQL blob store: the conformance suite (tests/storage/blob-suite.ts) unchanged, and
 * its layout in the database (chunks by hash and index, one copy, no staging rows left).
 * One throw-away cluster for the file, a fresh database per test.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, createPostgresBlobStore } from '../../src/lib/server/storage/postgres/blobs';
import { connect, migrate, type Sql } from '../../src/lib/server/storage/postgres/db';
import { describeBlobStore, streamOf } from '../storage/blob-suite';
import { startPostgres, type PostgresHandle } from '../support/postgres';

let pg: PostgresHandle;
let template: string;

beforeAll(async () => {
	pg = await startPostgres();
	template = await pg.createDatabase();
	const sql = connect(template, { max: 1 });
	await migrate(sql);
	await sql.end();
}, 120_000);

afterAll(async () => {
	await pg?.dispose();
}, 120_000);

async function freshDatabase(): Promise<Sql> {
	return connect(await pg.createDatabase({ template }), { max: 4 });
}

describeBlobStore('PostgreSQL', async () => {
	const sql = await freshDatabase();
	return { store: createPostgresBlobStore(sql), dispose: () => sql.end() };
});

describe('the PostgreSQL blob store in its tables', () => {
	let sql: Sql;

	beforeEach(async () => {
		sql = await freshDatabase();
	});

	afterEach(async () => {
		await sql.end();
	});

	it('keeps one copy in CHUNK_BYTES chunks keyed by hash and index, and no staging row', async () => {
		const store = createPostgresBlobStore(sql);
		const bytes = new Uint8Array(2 * CHUNK_BYTES + 1000).map((_, i) => (i * 7) & 0xff);
		const sha = createHash('sha256').update(bytes).digest('hex');
		for (const size of [1000, 100_000]) {
			const pieces: Uint8Array[] = [];
			for (let at = 0; at < bytes.byteLength; at += size)
				pieces.push(bytes.subarray(at, at + size));
			const result = await store.put(streamOf(pieces), 1 << 30);
			if (!result.ok) throw new Error('upload refused');
			await result.blob.commit();
		}
		const chunks = await sql<{ idx: number; length: number }[]>`
			SELECT idx, length(data) AS length FROM blob_chunks WHERE sha256 = ${sha} ORDER BY idx`;
		expect(chunks).toEqual([
			{ idx: 0, length: CHUNK_BYTES },
			{ idx: 1, length: CHUNK_BYTES },
			{ idx: 2, length: 1000 }
		]);
		expect(await sql`SELECT sha256, size, chunks FROM blobs`).toEqual([
			{ sha256: sha, size: bytes.byteLength, chunks: 3 }
		]);
		expect(await sql`SELECT upload_id FROM blob_staging`).toEqual([]);
		expect(await store.delete(sha)).toBe(true);
		expect(await sql`SELECT idx FROM blob_chunks`).toEqual([]);
	});

	it('leaves no staging row behind a refused or discarded upload', async () => {
		const store = createPostgresBlobStore(sql);
		const chunk = new Uint8Array(CHUNK_BYTES);
		expect(await store.put(streamOf([chunk, chunk, chunk]), 2 * CHUNK_BYTES + 10)).toEqual({
			ok: false,
			reason: 'too-large'
		});
		const result = await store.put(streamOf([chunk, chunk]), 1 << 30);
		if (!result.ok) throw new Error('upload refused');
		expect((await sql`SELECT idx FROM blob_staging`).length).toBe(2);
		await result.blob.discard();
		expect(await sql`SELECT idx FROM blob_staging`).toEqual([]);
	});
});
