import { describe, expect, it } from 'vitest';
import {
	checkUploadType,
	contentDisposition,
	looksExecutable,
	normalizeType,
	sanitizeFileName,
	sniffImageType
} from '../../src/lib/server/files';

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const GIF = new TextEncoder().encode('GIF89a\x01\x00');
const WEBP = new TextEncoder().encode('RIFF\x10\x00\x00\x00WEBPVP8 ');

describe('magic bytes', () => {
	it('recognises png, jpeg, gif and webp', () => {
		expect(sniffImageType(PNG)).toBe('image/png');
		expect(sniffImageType(JPEG)).toBe('image/jpeg');
		expect(sniffImageType(GIF)).toBe('image/gif');
		expect(sniffImageType(WEBP)).toBe('image/webp');
		expect(sniffImageType(new TextEncoder().encode('<svg xmlns='))).toBeNull();
		expect(sniffImageType(new TextEncoder().encode('RIFF\x10\x00\x00\x00WAVEfmt '))).toBeNull();
	});

	it('recognises executables and scripts', () => {
		expect(looksExecutable(new TextEncoder().encode('MZ\x90\x00'))).toBe(true);
		expect(looksExecutable(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2]))).toBe(true);
		expect(looksExecutable(Uint8Array.from([0xcf, 0xfa, 0xed, 0xfe]))).toBe(true);
		expect(looksExecutable(new TextEncoder().encode('#!/bin/sh\n'))).toBe(true);
		expect(looksExecutable(new TextEncoder().encode('hello world'))).toBe(false);
	});
});

describe('upload type rules', () => {
	it('takes an image whose bytes match its declared type, served inline', () => {
		expect(checkUploadType('image/png', PNG)).toEqual({
			ok: true,
			type: 'image/png',
			inline: true
		});
	});

	it('refuses an image whose bytes are something else', () => {
		expect(checkUploadType('image/png', JPEG)).toMatchObject({ ok: false });
		expect(checkUploadType('image/gif', new TextEncoder().encode('<html>'))).toMatchObject({
			ok: false
		});
	});

	it('refuses HTML, SVG and executables whatever they claim to be', () => {
		expect(checkUploadType('text/html', new TextEncoder().encode('<p>hi'))).toMatchObject({
			ok: false
		});
		expect(checkUploadType('image/svg+xml', new TextEncoder().encode('<svg'))).toMatchObject({
			ok: false
		});
		expect(checkUploadType('application/pdf', new TextEncoder().encode('MZ\x90'))).toMatchObject({
			ok: false
		});
	});

	it('takes other types as downloads', () => {
		expect(checkUploadType('application/pdf', new TextEncoder().encode('%PDF-1.7'))).toEqual({
			ok: true,
			type: 'application/pdf',
			inline: false
		});
	});

	it('normalises Content-Type and refuses what is not a type', () => {
		expect(normalizeType('Text/Plain; charset=utf-8')).toBe('text/plain');
		expect(normalizeType('not a type')).toBeNull();
		expect(normalizeType(null)).toBeNull();
	});
});

describe('file names', () => {
	it('decodes the header, keeps the last path segment and drops control characters', () => {
		expect(sanitizeFileName(encodeURIComponent('résumé 2024.pdf'))).toBe('résumé 2024.pdf');
		expect(sanitizeFileName(encodeURIComponent('../../etc/passwd'))).toBe('passwd');
		expect(sanitizeFileName(encodeURIComponent('a\u0000b\nc.txt'))).toBe('abc.txt');
	});

	it('refuses missing, empty, undecodable and overlong names', () => {
		expect(sanitizeFileName(null)).toBeNull();
		expect(sanitizeFileName('')).toBeNull();
		expect(sanitizeFileName('%E0%A4%A')).toBeNull();
		expect(sanitizeFileName('x'.repeat(256))).toBeNull();
	});

	it('writes an ASCII fallback and the exact UTF-8 name into Content-Disposition', () => {
		expect(contentDisposition('attachment', 'naïve "plan".txt')).toBe(
			`attachment; filename="na_ve _plan_.txt"; filename*=UTF-8''na%C3%AFve%20%22plan%22.txt`
		);
	});
});
