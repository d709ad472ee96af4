import { describe, expect, it } from 'vitest';
import {
	DEFAULT_MAX_UPLOAD_BYTES,
	MAX_FILES_PER_MESSAGE,
	checkFiles,
	formatBytes
} from '../../src/lib/client/uploads.svelte';

describe('checking picked files before upload', () => {
	it('accepts files up to the size limit', () => {
		expect(checkFiles([{ name: 'a.png', size: 1 }])).toBeNull();
		expect(checkFiles([{ name: 'b.bin', size: DEFAULT_MAX_UPLOAD_BYTES }])).toBeNull();
	});

	it('names the file that is over the limit and both sizes', () => {
		const error = checkFiles([
			{ name: 'ok.txt', size: 10 },
			{ name: 'movie.mp4', size: DEFAULT_MAX_UPLOAD_BYTES + 1 }
		]);
		expect(error).toBe('“movie.mp4” is too large (25 MB): files can be at most 25 MB.');
		expect(checkFiles([{ name: 'x', size: 31 * 1024 * 1024 }])).toContain('(31 MB)');
		expect(checkFiles([{ name: 'x', size: 2 * 1024 * 1024 + 1 }], 2 * 1024 * 1024)).toContain(
			'at most 2.0 MB'
		);
	});

	it('refuses empty files and too many files', () => {
		expect(checkFiles([{ name: 'empty.txt', size: 0 }])).toBe('“empty.txt” is empty.');
		const many = Array.from({ length: MAX_FILES_PER_MESSAGE + 1 }, (_, i) => ({
			name: `f${i}`,
			size: 1
		}));
		expect(checkFiles(many)).toBe(`A message can carry at most ${MAX_FILES_PER_MESSAGE} files.`);
		expect(checkFiles(many.slice(1))).toBeNull();
	});

	it('formats sizes in the binary units the limit is set in', () => {
		expect(formatBytes(1_023)).toBe('1023 B');
		expect(formatBytes(1_536)).toBe('1.5 kB');
		expect(formatBytes(250 * 1024)).toBe('250 kB');
		expect(formatBytes(3.4 * 1024 * 1024)).toBe('3.4 MB');
		expect(formatBytes(DEFAULT_MAX_UPLOAD_BYTES)).toBe('25 MB');
	});
});
