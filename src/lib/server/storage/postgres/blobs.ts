/**
 * The blob store in PostgreSQL (BLOB_STORE=postgres, the default with DATABASE_URL): an upload
 * through one instance is served by every other, with no shared disk.
 *
 * Chunked and streamed both ways: an upload is written as it arrives, CHUNK_BYTES at a time,
 * into `blob_staging` under a random upload id while it is hashed; `commit` then makes it
 * readable under its SHA-256 in one transaction (a `blobs` row, its chunks copied inside the
 * database into `blob_chunks`, keyed by hash and index, the staging rows deleted). A read
 * fetches one chunk per pull. At most one chunk of a file is in this process's memory.
 *
 * Content-addressed: the `blobs` row is inserted ON CONFLICT refreshing only its time, so two commits of the
 * same bytes keep one copy (the second waits for the first's row, then copies nothing).
 * Staging rows of uploads never committed nor discarded (the instance died mid-upload) are
 * swept once they are older than STAGING_TTL_MS.
 */
import { randomBytes } from 'node:crypto';
import { takeIn, type Intake } from '../blob-intake';
import { SHA256_HEX, type BlobStore, type PutResult } from '../blobs';
import { bytes, type Sql } from './db';

/** Bytes per stored chunk (the last one of a blob may be shorter). */
export const CHUNK_BYTES = 256 * 1024;
/** Staging rows older than this belong to an upload its instance abandoned (a day). */
const STAGING_TTL_MS = 24 * 60 * 60 * 1000;

/** Fills CHUNK_BYTES-sized buffers from chunks of any size; hands each full one on. */
class Rechunker {
	private buffer = new Uint8Array(CHUNK_BYTES);
	private filled = 0;

	constructor(private readonly flush: (chunk: Uint8Array) => Promise<void>) {}

	async write(chunk: Uint8Array): Promise<void> {
		for (let at = 0; at < chunk.byteLength;) {
			const taken = Math.min(CHUNK_BYTES - this.filled, chunk.byteLength - at);
			this.buffer.set(chunk.subarray(at, at + taken), this.filled);
			this.filled += taken;
			at += taken;
			if (this.filled === CHUNK_BYTES) await this.end();
		}
	}

	/** Hands on what is buffered (if anything). */
	async end(): Promise<void> {
		if (this.filled === 0) return;
		const full = this.buffer.subarray(0, this.filled);
		this.buffer = new Uint8Array(CHUNK_BYTES);
		this.filled = 0;
		await this.flush(full);
	}
}

export function createPostgresBlobStore(sql: Sql): BlobStore {
	async function forget(uploadId: string): Promise<void> {
		await sql`DELETE FROM blob_staging WHERE upload_id = ${uploadId}`;
	}

	async function put(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<PutResult> {
		const now = Date.now();
		await sql`DELETE FROM blob_staging WHERE staged_at < ${now - STAGING_TTL_MS}`;
		const uploadId = randomBytes(12).toString('hex');
		let chunks = 0;
		const rechunker = new Rechunker(async (chunk) => {
			await sql`INSERT INTO blob_staging (upload_id, idx, data, staged_at)
				VALUES (${uploadId}, ${chunks}, ${chunk}, ${now})`;
			chunks++;
		});
		let intake: Intake | 'too-large';
		try {
			intake = await takeIn(body, maxBytes, (chunk) => rechunker.write(chunk));
			if (intake !== 'too-large') await rechunker.end();
		} catch (error) {
			await forget(uploadId).catch(() => undefined);
			throw error;
		}
		if (intake === 'too-large') {
			await forget(uploadId);
			return { ok: false, reason: 'too-large' };
		}
		const { sha256, size } = intake;
		return {
			ok: true,
			blob: {
				...intake,
				async commit() {
					await sql.begin(async (tx) => {
						// Same name, same bytes: an existing copy is kept, only its time refreshed (garbage
						// collection leaves bytes written within its grace period); xmax = 0 on a new row.
						const [row] = await tx<{ inserted: boolean }[]>`INSERT INTO blobs
								(sha256, size, chunks, created_at)
							VALUES (${sha256}, ${size}, ${chunks}, ${Date.now()})
							ON CONFLICT (sha256) DO UPDATE SET created_at = excluded.created_at
							RETURNING (xmax = 0) AS inserted`;
						if (row?.inserted) {
							await tx`INSERT INTO blob_chunks (sha256, idx, data)
								SELECT ${sha256}, idx, data FROM blob_staging WHERE upload_id = ${uploadId}`;
						}
						await tx`DELETE FROM blob_staging WHERE upload_id = ${uploadId}`;
					});
				},
				discard: () => forget(uploadId)
			}
		};
	}

	async function chunkCount(sha256: string): Promise<number | null> {
		if (!SHA256_HEX.test(sha256)) return null;
		const [row] = await sql<
			{ chunks: number }[]
		>`SELECT chunks FROM blobs WHERE sha256 = ${sha256}`;
		return row ? row.chunks : null;
	}

	return {
		put,
		async get(sha256) {
			// Looked up before answering: an unknown blob is null, not a broken stream.
			const chunks = await chunkCount(sha256);
			if (chunks === null) return null;
			let idx = 0;
			return new ReadableStream<Uint8Array>({
				async pull(controller) {
					if (idx >= chunks) {
						controller.close();
						return;
					}
					const [row] = await sql<{ data: Uint8Array }[]>`SELECT data FROM blob_chunks
						WHERE sha256 = ${sha256} AND idx = ${idx}`;
					if (!row) throw new Error(`blob ${sha256} lost its chunk ${idx} (deleted while read)`);
					idx++;
					controller.enqueue(bytes(row.data));
				}
			});
		},
		has: async (sha256) => (await chunkCount(sha256)) !== null,
		async writtenAt(sha256) {
			if (!SHA256_HEX.test(sha256)) return null;
			const [row] = await sql<{ created_at: number }[]>`SELECT created_at FROM blobs
				WHERE sha256 = ${sha256}`;
			return row ? row.created_at : null;
		},
		async delete(sha256) {
			if (!SHA256_HEX.test(sha256)) return false;
			const deleted = await sql`DELETE FROM blobs WHERE sha256 = ${sha256} RETURNING sha256`;
			return deleted.length > 0;
		}
	};
}
