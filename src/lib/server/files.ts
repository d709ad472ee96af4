/**
 * Attachments: what types we take and how we serve them, content-addressed storage on disk,
 * and the `files` rows that tie each upload to its room (docs/design.md, "Files").
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { open, rename, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { consumeWithin, type ConsumeResult } from './body';
import { FILE_TYPE, MAX_FILE_NAME_CHARS, MAX_FILE_TYPE_CHARS } from '../protocol/schema';
import { generateId } from './id';
import { deleteThumbnail } from './thumbnails';
import type { FileStorage, StoredFile } from './storage/types';

/** Image types served inline (after their magic bytes were checked); everything else downloads. */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type InlineImageType = (typeof INLINE_IMAGE_TYPES)[number];

/** The longest file name we keep (the room document's limit, src/lib/protocol/schema.ts). */
export { MAX_FILE_NAME_CHARS };
/** Bytes kept from the start of an upload for sniffing. */
const HEAD_BYTES = 16;

/**
 * Types refused whatever the content: markup a browser would run as a page of our origin
 * (HTML, SVG, XML), scripts, and executables and installers.
 */
const REFUSED_TYPES = new Set([
	'text/html',
	'application/xhtml+xml',
	'image/svg+xml',
	'text/xml',
	'application/xml',
	'text/javascript',
	'application/javascript',
	'application/ecmascript',
	'application/x-msdownload',
	'application/x-msdos-program',
	'application/vnd.microsoft.portable-executable',
	'application/x-dosexec',
	'application/x-executable',
	'application/x-elf',
	'application/x-mach-binary',
	'application/x-sh',
	'application/x-csh',
	'application/x-msi',
	'application/java-archive',
	'application/vnd.android.package-archive'
]);

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
	return bytes.every((byte, index) => head[offset + index] === byte);
}

/** The image type the magic bytes show, or null for anything else. */
export function sniffImageType(head: Uint8Array): InlineImageType | null {
	if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
	if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
	if (startsWith(head, [0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39)) {
		return head[5] === 0x61 ? 'image/gif' : null;
	}
	if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) {
		return 'image/webp';
	}
	return null;
}

/** Windows PE ("MZ"), ELF, Mach-O (both byte orders, 32/64 bit, fat) and "#!" scripts. */
export function looksExecutable(head: Uint8Array): boolean {
	return (
		startsWith(head, [0x4d, 0x5a]) ||
		startsWith(head, [0x7f, 0x45, 0x4c, 0x46]) ||
		startsWith(head, [0xfe, 0xed, 0xfa, 0xce]) ||
		startsWith(head, [0xfe, 0xed, 0xfa, 0xcf]) ||
		startsWith(head, [0xce, 0xfa, 0xed, 0xfe]) ||
		startsWith(head, [0xcf, 0xfa, 0xed, 0xfe]) ||
		startsWith(head, [0xca, 0xfe, 0xba, 0xbe]) ||
		startsWith(head, [0x23, 0x21])
	);
}

/** `type/subtype` in lower case without parameters, or null when the header is not a type. */
export function normalizeType(raw: string | null): string | null {
	if (!raw) return null;
	const type = (raw.split(';')[0] ?? '').trim().toLowerCase();
	if (type.length > MAX_FILE_TYPE_CHARS) return null;
	return FILE_TYPE.test(type) ? type : null;
}

export type TypeVerdict =
	| { readonly ok: true; readonly type: string; readonly inline: boolean }
	| { readonly ok: false; readonly message: string };

/**
 * Whether an upload declared as `declared` whose first bytes are `head` is taken, and how it
 * will be served: images whose bytes match their type inline, everything else as a download.
 */
export function checkUploadType(declared: string, head: Uint8Array): TypeVerdict {
	if (REFUSED_TYPES.has(declared)) {
		return { ok: false, message: `Files of type ${declared} are not accepted.` };
	}
	if (looksExecutable(head)) return { ok: false, message: 'Executable files are not accepted.' };
	const sniffed = sniffImageType(head);
	if ((INLINE_IMAGE_TYPES as readonly string[]).includes(declared)) {
		if (sniffed !== declared) {
			return { ok: false, message: `The file's content is not ${declared}.` };
		}
		return { ok: true, type: declared, inline: true };
	}
	return { ok: true, type: declared, inline: false };
}

/** Whether a stored type is served inline (see checkUploadType). */
export function isInlineType(type: string): boolean {
	return (INLINE_IMAGE_TYPES as readonly string[]).includes(type);
}

/**
 * The file name from the URL-encoded `x-file-name` header: the last path segment, without
 * control characters, 1–255 characters. Null when nothing usable is left.
 */
export function sanitizeFileName(encoded: string | null): string | null {
	if (encoded === null) return null;
	let name: string;
	try {
		name = decodeURIComponent(encoded);
	} catch {
		return null;
	}
	// eslint-disable-next-line no-control-regex -- removing control characters is the point
	name = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
	if (name === '' || name === '.' || name === '..' || name.length > MAX_FILE_NAME_CHARS) {
		return null;
	}
	return name;
}

/** Where the bytes with this SHA-256 (hex) live: DATA_DIR/files/<first 2 hex>/<sha256>. */
export function blobPath(filesDir: string, sha256: string): string {
	return join(filesDir, sha256.slice(0, 2), sha256);
}

/**
 * Deletes stored bytes and their thumbnail: the ONE place bytes are deleted (garbage
 * collection, src/lib/server/file-gc.ts), so another blob store routes it in one edit.
 */
export async function deleteBlob(filesDir: string, sha256: string): Promise<void> {
	await unlink(blobPath(filesDir, sha256)).catch((error: NodeJS.ErrnoException) => {
		if (error.code !== 'ENOENT') throw error;
	});
	await deleteThumbnail(filesDir, sha256);
}

/** An upload on disk under a temporary name, hashed, waiting for the type check. */
export interface PendingBlob {
	readonly sha256: string;
	readonly size: number;
	/** The first bytes, for sniffing. */
	readonly head: Uint8Array;
	/** Moves the bytes to their content address (kept once: an existing copy is reused). */
	commit(): Promise<string>;
	discard(): Promise<void>;
}

export type ReceiveResult =
	| { readonly ok: true; readonly blob: PendingBlob }
	| { readonly ok: false; readonly reason: 'too-large' };

/**
 * Streams `body` into a temporary file under `filesDir/tmp` while hashing it, never holding more
 * than one chunk in memory. Past `maxBytes` it stops, deletes the partial file and reports
 * 'too-large' (the stream is left unread, see consumeWithin).
 */
export async function receiveBlob(
	filesDir: string,
	body: ReadableStream<Uint8Array>,
	maxBytes: number
): Promise<ReceiveResult> {
	const tmpDir = join(filesDir, 'tmp');
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
				const target = blobPath(filesDir, sha256);
				if (existsSync(target)) {
					await unlink(tempPath);
					// Fresh again: garbage collection leaves bytes uploaded within its grace period.
					const now = new Date();
					await utimes(target, now, now).catch(() => undefined);
				} else {
					mkdirSync(join(filesDir, sha256.slice(0, 2)), { recursive: true });
					// rename is atomic: two uploads of the same bytes racing leave one identical copy.
					await rename(tempPath, target);
				}
				return target;
			},
			async discard() {
				await unlink(tempPath).catch(() => undefined);
			}
		}
	};
}

export type { FileLookup as FileAccess, StoredFile } from './storage/types';

/** Records an upload's metadata (the blob is already in place). */
export async function recordFile(
	files: FileStorage,
	input: Omit<StoredFile, 'id' | 'createdAt'>,
	now: number = Date.now()
): Promise<StoredFile> {
	const file: StoredFile = { ...input, id: generateId(), createdAt: now };
	await files.record(file);
	return file;
}

/** `Content-Disposition` with an ASCII fallback name and the exact UTF-8 one (RFC 6266). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
	const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
	const encoded = encodeURIComponent(name).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
	);
	return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
