/**
 * Attachments: what types we take and how we serve them, and the `files` rows that tie each
 * upload to its room (docs/design.md, "Files"). The bytes themselves go to the blob store
 * (storage/blobs.ts) the composition root hands out as `services.blobs`.
 */
import type { BlobStore } from './storage/blobs';
import {
	FILE_TYPE,
	INLINE_IMAGE_TYPES,
	isInlineImage,
	MAX_FILE_NAME_CHARS,
	MAX_FILE_TYPE_CHARS,
	sniffImageType,
	type InlineImageType
} from '../protocol/schema';
import { generateId } from './id';
import { deleteThumbnail } from './thumbnails';
import type { FileStorage, StoredFile } from './storage/types';

export { INLINE_IMAGE_TYPES, sniffImageType };
export type { InlineImageType };

/** The longest file name we keep (the room document's limit, src/lib/protocol/schema.ts). */
export { MAX_FILE_NAME_CHARS };

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
	if (isInlineImage(declared)) {
		if (sniffed !== declared) {
			return { ok: false, message: `The file's content is not ${declared}.` };
		}
		return { ok: true, type: declared, inline: true };
	}
	return { ok: true, type: declared, inline: false };
}

/** Whether a stored type is served inline (see checkUploadType). */
export const isInlineType: (type: string) => boolean = isInlineImage;

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

/**
 * Deletes stored bytes and their thumbnail: the ONE place bytes are deleted (garbage
 * collection, src/lib/server/file-gc.ts).
 */
export async function deleteBlob(
	blobs: Pick<BlobStore, 'delete'>,
	filesDir: string,
	sha256: string
): Promise<void> {
	await blobs.delete(sha256);
	await deleteThumbnail(filesDir, sha256);
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
