/**
 * The blob store in a local directory (the default): DATA_DIR/files/<first 2 hex>/<sha256>,
 * uploads staged under files/tmp while they stream in and are hashed, then renamed into place
 * (atomic: two uploads of the same bytes racing leave one identical copy).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { consumeWithin, type ConsumeResult } from '../../body';
import { SHA256_HEX, type BlobStore, type PutResult } from '../blobs';

/** Bytes kept from the start of an upload for sniffing. */
const HEAD_BYTES = 16;

/** Where the bytes with this SHA-256 (hex) live: <dir>/<first 2 hex>/<sha256>. */
export function blobPath(dir: string, sha256: string): string {
	return join(dir, sha256.slice(0, 2), sha256);
}

/**
 * Runs `work` on the file a blob name stands for; `absent` when the name is not a SHA-256
 * (never a path) or no such file exists.
 */
async function named<T>(sha256: string, absent: T, work: () => Promise<T>): Promise<T> {
	if (!SHA256_HEX.test(sha256)) return absent;
	try {
		return await work();
	} catch (error) {
		if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return absent;
		throw error;
	}
}

export function createLocalBlobStore(dir: string): BlobStore {
	const tmpDir = join(dir, 'tmp');

	async function put(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<PutResult> {
		mkdirSync(tmpDir, { recursive: true });
		const tempPath = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
		const handle = await open(tempPath, 'wx');
		const hash = createHash('sha256');
		const head = new Uint8Array(HEAD_BYTES);
		let size = 0;
		let result: ConsumeResult;
		try {
			result = await consumeWithin(body, maxBytes, async (chunk, offset) => {
				if (offset < HEAD_BYTES) head.set(chunk.subarray(0, HEAD_BYTES - offset), offset);
				hash.update(chunk);
				await handle.write(chunk);
				size = offset + chunk.byteLength;
			});
		} catch (error) {
			await handle.close();
			await unlink(tempPath).catch(() => undefined);
			throw error;
		}
		await handle.close();
		if (result === 'too-large') {
			await unlink(tempPath).catch(() => undefined);
			return { ok: false, reason: 'too-large' };
		}
		const sha256 = hash.digest('hex');
		return {
			ok: true,
			blob: {
				sha256,
				size,
				head: head.slice(0, Math.min(size, HEAD_BYTES)),
				async commit() {
					mkdirSync(join(dir, sha256.slice(0, 2)), { recursive: true });
					// Same name, same bytes: renaming over an existing copy changes nothing.
					await rename(tempPath, blobPath(dir, sha256));
				},
				async discard() {
					await unlink(tempPath).catch(() => undefined);
				}
			}
		};
	}

	return {
		put,
		get: (sha256) =>
			named(sha256, null, async () => {
				// Opened before answering: a blob deleted meanwhile is null, not a broken stream.
				const handle = await open(blobPath(dir, sha256), 'r');
				return Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
			}),
		has: (sha256) => named(sha256, false, async () => (await stat(blobPath(dir, sha256))).isFile()),
		// A commit renames a freshly written file into place, so an upload of the same bytes again
		// refreshes the time.
		writtenAt: (sha256) =>
			named(sha256, null, async () => (await stat(blobPath(dir, sha256))).mtimeMs),
		delete: (sha256) =>
			named(sha256, false, async () => {
				await unlink(blobPath(dir, sha256));
				return true;
			})
	};
}
