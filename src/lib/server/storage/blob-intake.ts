/**
 * The part every blob store's `put` shares: reads an upload within its limit, hashing it and
 * keeping its first bytes while the implementation writes each chunk where it stages bytes.
 */
import { createHash } from 'node:crypto';
import { consumeWithin } from '../body';

/** Bytes kept from the start of an upload for sniffing. */
const HEAD_BYTES = 16;

/** What an upload was: its SHA-256 (hex), its size and its first bytes (up to 16). */
export interface Intake {
	readonly sha256: string;
	readonly size: number;
	readonly head: Uint8Array;
}

/**
 * Hands each chunk of `body` to `write` (awaited: the stream waits for the store), or stops
 * with 'too-large' past `maxBytes` (the caller forgets what `write` staged).
 */
export async function takeIn(
	body: ReadableStream<Uint8Array>,
	maxBytes: number,
	write: (chunk: Uint8Array) => Promise<unknown>
): Promise<Intake | 'too-large'> {
	const hash = createHash('sha256');
	const head = new Uint8Array(HEAD_BYTES);
	let size = 0;
	const result = await consumeWithin(body, maxBytes, async (chunk, offset) => {
		if (offset < HEAD_BYTES) head.set(chunk.subarray(0, HEAD_BYTES - offset), offset);
		hash.update(chunk);
		await write(chunk);
		size = offset + chunk.byteLength;
	});
	if (result === 'too-large') return result;
	return { sha256: hash.digest('hex'), size, head: head.slice(0, Math.min(size, HEAD_BYTES)) };
}
