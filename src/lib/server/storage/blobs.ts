/**
 * The blob store: uploaded files' bytes, content-addressed (a blob's name is the SHA-256 of
 * its bytes, so the same bytes are kept once and any instance finds them by the hash the
 * `files` rows hold). Streams both ways: no implementation holds a whole file in memory.
 * Implementations: the local directory (local/blobs.ts, the default); a shared one (e.g.
 * PostgreSQL, chunked) lets an upload through one host be served by every other.
 * Every implementation passes tests/storage/blob-suite.ts. Imports nothing of Parley.
 */

/** A SHA-256 in lower-case hex: the only names a blob store knows. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * An upload received and hashed but not yet readable under its hash: the caller checks its
 * type (from `head`) first, then commits or discards it. Two uploads of the same bytes may be
 * staged and committed at once; the store keeps one copy.
 */
export interface StagedBlob {
	readonly sha256: string;
	readonly size: number;
	/** The first bytes (up to 16), for sniffing. */
	readonly head: Uint8Array;
	/** Makes the bytes readable under `sha256` (kept once: an existing copy is reused). */
	commit(): Promise<void>;
	/** Forgets the staged bytes; a copy already committed under the same hash stays. */
	discard(): Promise<void>;
}

export type PutResult =
	| { readonly ok: true; readonly blob: StagedBlob }
	| { readonly ok: false; readonly reason: 'too-large' };

export interface BlobStore {
	/**
	 * Streams `body` in while hashing it. Past `maxBytes` it stops, keeps nothing and reports
	 * 'too-large' (the rest of the stream is left unread).
	 */
	put(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<PutResult>;
	/** The bytes under `sha256` as a stream, or null when there are none. */
	get(sha256: string): Promise<ReadableStream<Uint8Array> | null>;
	has(sha256: string): Promise<boolean>;
	/**
	 * When the bytes under `sha256` were last written, in ms (a put of the same bytes committed
	 * again refreshes it), or null when there are none: garbage collection leaves bytes written
	 * within its grace period (src/lib/server/file-gc.ts).
	 */
	writtenAt(sha256: string): Promise<number | null>;
	/** Deletes the bytes under `sha256`; false when there were none. */
	delete(sha256: string): Promise<boolean>;
}
