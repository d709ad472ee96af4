/**
 * Encrypted attachments (src/lib/protocol/file-crypto.ts, docs/design.md "Encrypted rooms",
 * files): what one browser encrypts opens with the payload's key, nonce and hash, and only
 * those bytes do; a changed byte, a lying hash or another key is refused, never decrypted to
 * something else; a payload entry without the form is left out alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import { describe, expect, it } from 'vitest';
import {
	ENCRYPTED_FILE_NAME,
	ENCRYPTED_FILE_TYPE,
	FILE_KEY_BYTES,
	FILE_NONCE_BYTES,
	decryptFile,
	encryptFile,
	encryptedSize,
	fileKeysOf,
	parseFileKey,
	type FileKey
} from '../../src/lib/protocol/file-crypto';
import { fitsEncryptedPayload } from '../../src/lib/client/uploads.svelte';
import { MAX_PAYLOAD_BYTES } from '../../src/lib/protocol/payload';
import { looksExecutable } from '../../src/lib/server/files';

const bytes = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(n));
const key = (): Uint8Array<ArrayBuffer> => bytes(FILE_KEY_BYTES);
const nonce = (): Uint8Array<ArrayBuffer> => bytes(FILE_NONCE_BYTES);
const sha256 = (data: Uint8Array): string =>
	encodeBase64urlNoPadding(createHash('sha256').update(data).digest());

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
	return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe('encrypting and decrypting a file', () => {
	it('gives back the same bytes, and the upload holds none of them in the clear', async () => {
		const marker = new TextEncoder().encode(`marker-${randomBytes(8).toString('hex')}`);
		const plaintext = new Uint8Array([...bytes(1000), ...marker, ...bytes(1000)]);
		const sealed = await encryptFile(plaintext, key(), nonce());
		expect(sealed.upload.length).toBe(encryptedSize(plaintext.length));
		expect(contains(sealed.upload, marker)).toBe(false);
		expect(new TextDecoder().decode(sealed.upload.subarray(0, 8))).toBe('PARLEYF1');
		expect(sealed.sha256).toBe(sha256(sealed.upload));
		const opened = await decryptFile(sealed.upload, sealed);
		expect(opened.ok && Buffer.from(opened.plaintext).equals(Buffer.from(plaintext))).toBe(true);
	});

	it('encrypts an empty file and a file the upload API would call executable', async () => {
		for (const plaintext of [new Uint8Array(0), new TextEncoder().encode('MZ#!/bin/sh')]) {
			const sealed = await encryptFile(plaintext, key(), nonce());
			expect(looksExecutable(sealed.upload)).toBe(false);
			const opened = await decryptFile(sealed.upload, sealed);
			expect(opened.ok && opened.plaintext.length).toBe(plaintext.length);
		}
	});

	it('uses a new ciphertext for the same bytes under a new key', async () => {
		const plaintext = bytes(64);
		const a = await encryptFile(plaintext, key(), nonce());
		const b = await encryptFile(plaintext, key(), nonce());
		expect(a.sha256).not.toBe(b.sha256);
		expect(a.key).not.toBe(b.key);
	});

	it('refuses a key or nonce of the wrong length', async () => {
		await expect(encryptFile(bytes(8), bytes(16), nonce())).rejects.toThrow();
		await expect(encryptFile(bytes(8), key(), bytes(24))).rejects.toThrow();
	});
});

describe('a tampered file is refused', () => {
	it('refuses an upload with one byte changed (the hash no longer matches)', async () => {
		const sealed = await encryptFile(bytes(500), key(), nonce());
		for (const at of [0, 8, 100, sealed.upload.length - 1]) {
			const changed = sealed.upload.slice();
			changed[at] = (changed[at] ?? 0) ^ 0x01;
			expect(await decryptFile(changed, sealed)).toEqual({ ok: false, reason: 'hash-mismatch' });
		}
		const cut = sealed.upload.slice(0, -1);
		expect(await decryptFile(cut, sealed)).toEqual({ ok: false, reason: 'hash-mismatch' });
	});

	it('refuses changed bytes whose hash the payload names (a lying sender): the tag fails', async () => {
		const sealed = await encryptFile(bytes(500), key(), nonce());
		for (const at of [3, 20, sealed.upload.length - 1]) {
			const changed = sealed.upload.slice();
			changed[at] = (changed[at] ?? 0) ^ 0x80;
			const opened = await decryptFile(changed, { ...sealed, sha256: sha256(changed) });
			expect(opened).toEqual({ ok: false, reason: 'tampered' });
		}
	});

	it('refuses another key or nonce', async () => {
		const sealed = await encryptFile(bytes(500), key(), nonce());
		const otherKey = encodeBase64urlNoPadding(key());
		const otherNonce = encodeBase64urlNoPadding(nonce());
		expect(await decryptFile(sealed.upload, { ...sealed, key: otherKey })).toEqual({
			ok: false,
			reason: 'tampered'
		});
		expect(await decryptFile(sealed.upload, { ...sealed, nonce: otherNonce })).toEqual({
			ok: false,
			reason: 'tampered'
		});
	});

	it('calls a key, nonce or hash that is not base64url of the right length malformed', async () => {
		const sealed = await encryptFile(bytes(10), key(), nonce());
		for (const bad of [
			{ ...sealed, key: sealed.key.slice(1) },
			{ ...sealed, nonce: `${sealed.nonce}AA` },
			{ ...sealed, sha256: '!'.repeat(43) }
		]) {
			expect(await decryptFile(sealed.upload, bad)).toEqual({ ok: false, reason: 'malformed' });
		}
	});
});

describe('the payload entries of encrypted files', () => {
	const entry = async (): Promise<FileKey> => {
		const sealed = await encryptFile(bytes(10), key(), nonce());
		return {
			id: 'abcdefghijklmnopqrstuvwx',
			name: 'report Q3.pdf',
			type: 'application/pdf',
			size: 10,
			key: sealed.key,
			nonce: sealed.nonce,
			sha256: sealed.sha256
		};
	};

	it('reads an entry with the form', async () => {
		const good = await entry();
		expect(parseFileKey(JSON.parse(JSON.stringify(good)))).toEqual(good);
	});

	it('refuses an entry with a bad field', async () => {
		const good = await entry();
		for (const bad of [
			{ ...good, id: '../logout' },
			{ ...good, name: '' },
			{ ...good, name: 'x'.repeat(256) },
			{ ...good, type: 'Text/HTML; charset=utf-8' },
			{ ...good, size: -1 },
			{ ...good, size: 1.5 },
			{ ...good, key: 'short' },
			{ ...good, nonce: 42 },
			{ ...good, sha256: undefined },
			null,
			'file',
			[good]
		]) {
			expect(parseFileKey(bad)).toBeNull();
		}
	});

	it('keeps the good entries of a list and leaves a bad one out (only its attachment fails)', async () => {
		const a = await entry();
		const b = { ...(await entry()), id: 'bcdefghijklmnopqrstuvwxy' };
		expect(fileKeysOf([a, { ...a, key: 1 }, b])).toEqual([a, b]);
		expect(fileKeysOf(undefined)).toEqual([]);
		expect(fileKeysOf({ 0: a })).toEqual([]);
	});

	it('says whether text and file names fit one encrypted payload', () => {
		const file = { name: 'photo.png', type: 'image/png', size: 1 };
		expect(
			fitsEncryptedPayload(
				'hello',
				Array.from({ length: 10 }, () => file)
			)
		).toBe(true);
		// 4,000 three-byte characters of text and ten 255-character names of the same: too many bytes.
		const longName = { ...file, name: '界'.repeat(255) };
		expect(fitsEncryptedPayload('界'.repeat(4000), [longName])).toBe(true);
		expect(
			fitsEncryptedPayload(
				'界'.repeat(4000),
				Array.from({ length: 10 }, () => longName)
			)
		).toBe(false);
		expect(MAX_PAYLOAD_BYTES).toBe(16 * 1024);
	});

	it('names the opaque upload the same for every file', () => {
		expect(ENCRYPTED_FILE_NAME).toBe('encrypted');
		expect(ENCRYPTED_FILE_TYPE).toBe('application/octet-stream');
	});
});
