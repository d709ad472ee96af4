/**
 * The blob store conformance suite: what every `BlobStore` (src/lib/server/storage/blobs.ts)
 * must do, through the interface alone. A backend passes it by one test file:
 *
 *   describeBlobStore('PostgreSQL', async () => { ...; return { store, dispose } });
 *
 * `makeStore` gives a fresh, empty store per test (and how to tear it down).
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore, StagedBlob } from '../../src/lib/server/storage/blobs';

export interface BlobStoreUnderTest {
	readonly store: BlobStore;
	dispose(): Promise<void>;
}

export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
	let i = 0;
	return new ReadableStream({
		pull(controller) {
			const chunk = chunks[i++];
			if (chunk) controller.enqueue(chunk);
			else controller.close();
		}
	});
}

/** Reads a stream whole, and how many chunks it came in. */
async function readAll(
	stream: ReadableStream<Uint8Array>
): Promise<{ bytes: Buffer; chunks: number }> {
	const parts: Uint8Array[] = [];
	const reader = stream.getReader();
	for (let next = await reader.read(); !next.done; next = await reader.read())
		parts.push(next.value);
	return { bytes: Buffer.concat(parts), chunks: parts.length };
}

function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

function patterned(length: number, seed: number): Uint8Array {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = (i * 131 + seed * 7 + (i >> 9)) & 0xff;
	return out;
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
	const chunks: Uint8Array[] = [];
	for (let at = 0; at < bytes.byteLength; at += size) chunks.push(bytes.subarray(at, at + size));
	return chunks;
}

export function describeBlobStore(
	name: string,
	makeStore: () => Promise<BlobStoreUnderTest>
): void {
	describe(`BlobStore conformance: ${name}`, () => {
		let under: BlobStoreUnderTest;
		let store: BlobStore;

		beforeEach(async () => {
			under = await makeStore();
			store = under.store;
		});

		afterEach(async () => {
			await under.dispose();
		});

		async function staged(
			bytes: Uint8Array,
			chunkSize = 7,
			maxBytes = 1 << 30
		): Promise<StagedBlob> {
			const result = await store.put(streamOf(chunked(bytes, chunkSize)), maxBytes);
			if (!result.ok) throw new Error(`put refused: ${result.reason}`);
			return result.blob;
		}

		it('hashes and measures what it is given, readable under its hash only once committed', async () => {
			const bytes = new TextEncoder().encode('content-addressed bytes, in small chunks');
			const blob = await staged(bytes);
			expect(blob.sha256).toBe(sha256(bytes));
			expect(blob.size).toBe(bytes.byteLength);
			expect(await store.has(blob.sha256)).toBe(false);
			expect(await store.get(blob.sha256)).toBeNull();
			await blob.commit();
			expect(await store.has(blob.sha256)).toBe(true);
			const stream = await store.get(blob.sha256);
			if (!stream) throw new Error('committed blob not found');
			expect((await readAll(stream)).bytes).toEqual(Buffer.from(bytes));
		});

		it('says when the bytes were written (null before the commit and after a delete)', async () => {
			const bytes = new TextEncoder().encode('bytes whose write time garbage collection reads');
			const blob = await staged(bytes);
			expect(await store.writtenAt(blob.sha256)).toBeNull();
			const before = Date.now();
			await blob.commit();
			const writtenAt = await store.writtenAt(blob.sha256);
			if (writtenAt === null) throw new Error('no write time for a committed blob');
			// File systems keep coarser clocks than Date.now(): a second of slack either way.
			expect(writtenAt).toBeGreaterThanOrEqual(before - 1_000);
			expect(writtenAt).toBeLessThanOrEqual(Date.now() + 1_000);
			expect(await store.delete(blob.sha256)).toBe(true);
			expect(await store.writtenAt(blob.sha256)).toBeNull();
			expect(await store.writtenAt('not-a-hash')).toBeNull();
		});

		it('keeps the first 16 bytes for sniffing, even when they arrive one by one', async () => {
			const bytes = patterned(40, 1);
			const blob = await staged(bytes, 1);
			expect(blob.head).toEqual(bytes.slice(0, 16));
			const short = await staged(bytes.slice(0, 5), 1);
			expect(short.head).toEqual(bytes.slice(0, 5));
		});

		it('keeps the same bytes once, whoever commits first', async () => {
			const bytes = patterned(1000, 2);
			const [first, second] = await Promise.all([staged(bytes, 100), staged(bytes, 333)]);
			expect(first.sha256).toBe(second.sha256);
			await Promise.all([first.commit(), second.commit()]);
			const stream = await store.get(first.sha256);
			expect((await readAll(stream!)).bytes).toEqual(Buffer.from(bytes));
		});

		it('stops past the limit and keeps nothing', async () => {
			const bytes = patterned(3000, 3);
			const result = await store.put(streamOf(chunked(bytes, 400)), 1000);
			expect(result).toEqual({ ok: false, reason: 'too-large' });
			expect(await store.has(sha256(bytes))).toBe(false);
			expect(await store.has(sha256(bytes.subarray(0, 1000)))).toBe(false);
		});

		it('forgets a discarded upload, but never a copy committed before under the same hash', async () => {
			const bytes = patterned(500, 4);
			const discarded = await staged(bytes);
			await discarded.discard();
			expect(await store.has(discarded.sha256)).toBe(false);
			await (await staged(bytes)).commit();
			await (await staged(bytes)).discard();
			expect(await store.has(sha256(bytes))).toBe(true);
		});

		it('deletes a blob once', async () => {
			const blob = await staged(patterned(100, 5));
			await blob.commit();
			expect(await store.delete(blob.sha256)).toBe(true);
			expect(await store.has(blob.sha256)).toBe(false);
			expect(await store.get(blob.sha256)).toBeNull();
			expect(await store.delete(blob.sha256)).toBe(false);
		});

		it('knows nothing under a name that is not a SHA-256', async () => {
			for (const bad of [
				'',
				'../../etc/passwd',
				'AB'.repeat(32),
				'g'.repeat(64),
				`${'a'.repeat(64)}/x`
			]) {
				expect(await store.get(bad)).toBeNull();
				expect(await store.has(bad)).toBe(false);
				expect(await store.delete(bad)).toBe(false);
			}
		});

		it('streams a large blob in and out in pieces, byte-exact', async () => {
			const bytes = patterned(3 * 1024 * 1024 + 17, 6);
			const blob = await staged(bytes, 64 * 1024);
			expect(blob.size).toBe(bytes.byteLength);
			await blob.commit();
			const read = await readAll((await store.get(blob.sha256))!);
			expect(read.chunks).toBeGreaterThan(1);
			expect(sha256(read.bytes)).toBe(blob.sha256);
		});

		it('stores an empty body as the empty blob', async () => {
			const blob = await staged(new Uint8Array(0));
			expect(blob.size).toBe(0);
			expect(blob.sha256).toBe(sha256(new Uint8Array(0)));
			await blob.commit();
			expect((await readAll((await store.get(blob.sha256))!)).bytes.byteLength).toBe(0);
		});
	});
}
