/**
 * Encrypted attachments of encrypted rooms (docs/design.md, "Encrypted rooms", files), after
 * Matrix's encrypted attachments (client-server API, "Sending encrypted attachments"): the
 * browser encrypts each file with a fresh random key before it uploads it, and the key, the
 * nonce, the ciphertext's SHA-256 and the file's real name, type and size travel INSIDE the
 * message's encrypted payload. The server stores an opaque upload (`encrypted`,
 * `application/octet-stream`) and learns only its size and how many files a message carries.
 *
 * Cipher: AES-256-GCM of WebCrypto (authenticated, native, off the main thread; Matrix's v2
 * uses AES-CTR with the SHA-256 as its only integrity check). A key encrypts one file only, so
 * a random 96-bit nonce is safe. The upload is `PARLEYF1` (8 bytes, also the AEAD's associated
 * data: the format cannot be swapped) followed by the AES-GCM output; the fixed prefix also keeps
 * random bytes from ever starting like an executable, which the upload API refuses. A receiver
 * checks the SHA-256 of the whole upload against the payload's before it decrypts.
 *
 * Pure apart from WebCrypto (browser and Node alike): callers pass the key and nonce bytes.
 */
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';
import {
	FILE_ID,
	FILE_TYPE,
	MAX_FILE_NAME_CHARS,
	MAX_FILE_TYPE_CHARS,
	MAX_FILES_PER_MESSAGE
} from './schema';

/** AES-256: the key's bytes. */
export const FILE_KEY_BYTES = 32;
/** AES-GCM's nonce. */
export const FILE_NONCE_BYTES = 12;
/** What the server is told an encrypted upload is called and is. */
export const ENCRYPTED_FILE_NAME = 'encrypted';
export const ENCRYPTED_FILE_TYPE = 'application/octet-stream';

const encoder = new TextEncoder();
/** The upload's first bytes: the format and its version. */
const HEADER = encoder.encode('PARLEYF1');
/** AES-GCM's tag. */
const TAG_BYTES = 16;

/**
 * One attachment as the encrypted payload names it: the upload (`id`), what the file really is
 * (`name`, `type`, `size` of the plaintext) and how to open it (`key`, `nonce`, `sha256` of
 * the whole upload, unpadded base64url).
 */
export interface FileKey {
	readonly id: string;
	readonly name: string;
	readonly type: string;
	readonly size: number;
	readonly key: string;
	readonly nonce: string;
	readonly sha256: string;
}

/** What `encryptFile` answers: the bytes to upload and how to open them. */
export interface EncryptedFile {
	readonly upload: Uint8Array<ArrayBuffer>;
	readonly key: string;
	readonly nonce: string;
	readonly sha256: string;
}

export type DecryptedFile =
	| { readonly ok: true; readonly plaintext: Uint8Array<ArrayBuffer> }
	| { readonly ok: false; readonly reason: 'malformed' | 'hash-mismatch' | 'tampered' };

const b64 = encodeBase64urlNoPadding;

function fromB64(text: string, bytes: number): Uint8Array<ArrayBuffer> | null {
	if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
	try {
		const decoded = decodeBase64urlIgnorePadding(text);
		return decoded.length === bytes ? new Uint8Array(decoded) : null;
	} catch {
		return null;
	}
}

async function sha256Of(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function aesKey(raw: Uint8Array<ArrayBuffer>, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
	return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, [usage]);
}

/** Encrypts a file's bytes with `key` (32 random bytes) and `nonce` (12 random bytes). */
export async function encryptFile(
	plaintext: Uint8Array<ArrayBuffer>,
	key: Uint8Array<ArrayBuffer>,
	nonce: Uint8Array<ArrayBuffer>
): Promise<EncryptedFile> {
	if (key.length !== FILE_KEY_BYTES || nonce.length !== FILE_NONCE_BYTES) {
		throw new Error('encryptFile needs a 32-byte key and a 12-byte nonce');
	}
	const sealed = await crypto.subtle.encrypt(
		{ name: 'AES-GCM', iv: nonce, additionalData: HEADER },
		await aesKey(key, 'encrypt'),
		plaintext
	);
	const upload = new Uint8Array(HEADER.length + sealed.byteLength);
	upload.set(HEADER);
	upload.set(new Uint8Array(sealed), HEADER.length);
	return { upload, key: b64(key), nonce: b64(nonce), sha256: b64(await sha256Of(upload)) };
}

/**
 * Opens a downloaded upload with its payload entry: `hash-mismatch` when the bytes are not the
 * ones the sender hashed, `tampered` when they pass the hash but not AES-GCM's tag (a sender
 * that lied), `malformed` for a key or nonce of the wrong form.
 */
export async function decryptFile(
	upload: Uint8Array<ArrayBuffer>,
	file: Pick<FileKey, 'key' | 'nonce' | 'sha256'>
): Promise<DecryptedFile> {
	const key = fromB64(file.key, FILE_KEY_BYTES);
	const nonce = fromB64(file.nonce, FILE_NONCE_BYTES);
	const expected = fromB64(file.sha256, 32);
	if (key === null || nonce === null || expected === null)
		return { ok: false, reason: 'malformed' };
	const actual = await sha256Of(upload);
	if (!actual.every((byte, i) => byte === expected[i])) {
		return { ok: false, reason: 'hash-mismatch' };
	}
	const header = upload.subarray(0, HEADER.length);
	if (upload.length < HEADER.length + TAG_BYTES || !header.every((b, i) => b === HEADER[i])) {
		return { ok: false, reason: 'tampered' };
	}
	try {
		const plaintext = await crypto.subtle.decrypt(
			{ name: 'AES-GCM', iv: nonce, additionalData: HEADER },
			await aesKey(key, 'decrypt'),
			upload.subarray(HEADER.length)
		);
		return { ok: true, plaintext: new Uint8Array(plaintext) };
	} catch {
		return { ok: false, reason: 'tampered' };
	}
}

/** Bytes of the upload of a file of `size` bytes (what the server sees instead). */
export function encryptedSize(size: number): number {
	return HEADER.length + size + TAG_BYTES;
}

const B64_KEY = /^[A-Za-z0-9_-]{43}$/;
const B64_NONCE = /^[A-Za-z0-9_-]{16}$/;

/** One payload entry, or null when it is not one (the reader then shows a placeholder). */
export function parseFileKey(value: unknown): FileKey | null {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
	const { id, name, type, size, key, nonce, sha256 } = value as Record<string, unknown>;
	if (typeof id !== 'string' || !FILE_ID.test(id)) return null;
	if (typeof name !== 'string' || name.length < 1 || name.length > MAX_FILE_NAME_CHARS) return null;
	if (typeof type !== 'string' || type.length > MAX_FILE_TYPE_CHARS || !FILE_TYPE.test(type)) {
		return null;
	}
	if (!Number.isSafeInteger(size) || (size as number) < 0) return null;
	if (typeof key !== 'string' || !B64_KEY.test(key)) return null;
	if (typeof nonce !== 'string' || !B64_NONCE.test(nonce)) return null;
	if (typeof sha256 !== 'string' || !B64_KEY.test(sha256)) return null;
	return { id, name, type, size: size as number, key, nonce, sha256 };
}

/**
 * The entries of a decrypted payload's `files` that have the form (at most
 * MAX_FILES_PER_MESSAGE); one that does not is left out, so only its attachment shows
 * "Can't decrypt this file". An old `{ text }` payload has none.
 */
export function fileKeysOf(files: unknown): readonly FileKey[] {
	if (!Array.isArray(files)) return [];
	return files.slice(0, MAX_FILES_PER_MESSAGE).flatMap((value) => parseFileKey(value) ?? []);
}
