/** The local-directory blob store: the conformance suite, and its layout on disk. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobPath, createLocalBlobStore } from '../../src/lib/server/storage/local/blobs';
import { describeBlobStore, streamOf } from '../storage/blob-suite';
import { makeTempDir } from '../support/server';

describeBlobStore('local directory', async () => {
	const dir = makeTempDir('parley-blobs-');
	return {
		store: createLocalBlobStore(dir),
		dispose: async () => rmSync(dir, { recursive: true, force: true })
	};
});

describe('the local blob store on disk', () => {
	let dir: string;

	beforeEach(() => {
		dir = makeTempDir('parley-blobs-');
	});

	afterEach(() => {
		rmSync(dir, { recursive: true, force: true });
	});

	it('keeps bytes at <dir>/<first 2 hex>/<sha256>, once, and leaves no staging file', async () => {
		const store = createLocalBlobStore(dir);
		const bytes = new TextEncoder().encode('the same bytes, twice');
		const sha = createHash('sha256').update(bytes).digest('hex');
		for (const chunks of [[bytes.subarray(0, 5), bytes.subarray(5)], [bytes]]) {
			const result = await store.put(streamOf(chunks), 1000);
			if (!result.ok) throw new Error('upload refused');
			await result.blob.commit();
		}
		expect(blobPath(dir, sha)).toBe(join(dir, sha.slice(0, 2), sha));
		expect(readFileSync(blobPath(dir, sha))).toEqual(Buffer.from(bytes));
		expect(readdirSync(join(dir, sha.slice(0, 2)))).toEqual([sha]);
		expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
	});

	it('leaves no staging file behind a refused or discarded upload', async () => {
		const store = createLocalBlobStore(dir);
		const chunk = new Uint8Array(400);
		expect(await store.put(streamOf([chunk, chunk, chunk]), 1000)).toEqual({
			ok: false,
			reason: 'too-large'
		});
		const result = await store.put(streamOf([chunk]), 1000);
		if (!result.ok) throw new Error('upload refused');
		await result.blob.discard();
		expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
	});
});
