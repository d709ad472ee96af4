/**
 * Request bodies, read with a limit while they stream: which limit each route has, and the one
 * loop that reads a body chunk by chunk and stops once it passes its limit (docs/design.md,
 * "HTTP API": the 413 rule). hooks.server.ts applies it to every request before any route runs.
 */
import { MAX_AVATAR_BYTES, OWN_AVATAR_PATH } from '../avatar-images';
import { MAX_JSON_BODY_BYTES } from './http';

function isFileUpload(method: string, pathname: string): boolean {
	return method === 'POST' && pathname === '/api/files';
}

function isAvatarUpload(method: string, pathname: string): boolean {
	return method === 'PUT' && pathname === OWN_AVATAR_PATH;
}

/**
 * The only routes whose body may be large: a file (files.ts) and a profile picture
 * (avatars.ts). Each streams its body to the blob store itself, after checking the user.
 */
export function isUploadRoute(method: string, pathname: string): boolean {
	return isFileUpload(method, pathname) || isAvatarUpload(method, pathname);
}

/**
 * Largest body the route takes, in bytes: the upload limit for a file, MAX_AVATAR_BYTES for a
 * profile picture, 16 KiB for every other route (JSON API and form actions alike; the largest
 * real one is a few hundred bytes).
 */
export function bodyLimitFor(method: string, pathname: string, maxUploadBytes: number): number {
	if (isFileUpload(method, pathname)) return maxUploadBytes;
	if (isAvatarUpload(method, pathname)) return MAX_AVATAR_BYTES;
	return MAX_JSON_BODY_BYTES;
}

/** Whether the declared Content-Length is already past `maxBytes` (nothing read yet). */
export function declaresTooMuch(request: Request, maxBytes: number): boolean {
	const declared = Number(request.headers.get('content-length') ?? '0');
	return !Number.isFinite(declared) || declared > maxBytes;
}

export type ConsumeResult = 'done' | 'too-large';

/** Error from the body stream meaning adapter-node's own BODY_SIZE_LIMIT was hit. */
function isTooLargeError(error: unknown): boolean {
	return (
		typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 413
	);
}

/**
 * Hands each chunk of `body` to `onChunk` until the end, or stops with 'too-large' before the
 * chunk that would pass `maxBytes`. The stream is left paused, not cancelled, on purpose:
 * cancelling destroys the request's socket and the client would never see the 413 (the rest
 * is discarded, bounded, once the answer is sent: sync-server/linger.ts).
 */
export async function consumeWithin(
	body: ReadableStream<Uint8Array>,
	maxBytes: number,
	onChunk: (chunk: Uint8Array, offset: number) => unknown
): Promise<ConsumeResult> {
	const reader = body.getReader();
	let size = 0;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return 'done';
			if (size + value.byteLength > maxBytes) return 'too-large';
			await onChunk(value, size);
			size += value.byteLength;
		}
	} catch (error) {
		if (isTooLargeError(error)) return 'too-large';
		throw error;
	} finally {
		reader.releaseLock();
	}
}

export type LimitedBody =
	{ readonly ok: true; readonly bytes: Uint8Array<ArrayBuffer> } | { readonly ok: false };

/** Reads a whole body of at most `maxBytes` into memory; never holds more than that. */
export async function readBodyWithin(
	body: ReadableStream<Uint8Array>,
	maxBytes: number
): Promise<LimitedBody> {
	const chunks: Uint8Array[] = [];
	let size = 0;
	const result = await consumeWithin(body, maxBytes, (chunk) => {
		chunks.push(chunk);
		size += chunk.byteLength;
	});
	if (result === 'too-large') return { ok: false };
	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return { ok: true, bytes };
}
