/**
 * The blob store in a local directory (the default): DATA_DIR/files/<first 2 hex>/<sha256>,
 * uploads staged under files/tmp while they stream in and are hashed, then renamed into place
 * (atomic: two uploads of the same bytes racing leave one identical copy).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { takeIn, type Intake } from '../blob-intake';
import { SHA256_HEX, type BlobStore, type PutResult } from '../blobs';

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
		let intake: Intake | 'too-large';
		try {
			intake = await takeIn(body, maxBytes, (chunk) => handle.write(chunk));
		} catch (error) {
			await handle.close();
			await unlink(tempPath).catch(() => undefined);
			throw error;
		}
		await handle.close();
		if (intake === 'too-large') {
			await unlink(tempPath).catch(() => undefined);
			return { ok: false, reason: 'too-large' };
		}
		const { sha256 } = intake;
		return {
			ok: true,
			blob: {
				...intake,
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
