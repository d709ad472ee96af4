/**
 * Garbage collection of uploads (docs/design.md, "Files"): an upload that no stored message
 * names (`file_refs`, recorded by the sync server's commit) is deleted once older than
 * FILE_GC_GRACE_MS; its bytes go when no other upload names the same content. A crashed
 * upload's `.part` file goes after the same grace period.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deleteBlob } from './files';
import type { BlobStore } from './storage/blobs';
import type { FileStorage } from './storage/types';

export interface FileGcOptions {
	readonly files: Pick<FileStorage, 'deleteUnreferenced' | 'hasContent'>;
	/** Where the bytes are (services.blobs). */
	readonly blobs: Pick<BlobStore, 'delete' | 'writtenAt'>;
	/** DATA_DIR/files: thumbnails and the local store's partial uploads. */
	readonly filesDir: string;
	readonly graceMs: number;
	readonly nowMs?: number;
}

export interface FileGcResult {
	/** Upload rows deleted. */
	readonly uploads: number;
	/** Contents (blobs) deleted from disk. */
	readonly blobs: number;
	/** Leftover partial uploads deleted. */
	readonly partials: number;
}

/** Whether the file at `path` was last written before `cutoffMs` (false when it is gone). */
async function writtenBefore(path: string, cutoffMs: number): Promise<boolean> {
	try {
		return (await stat(path)).mtimeMs < cutoffMs;
	} catch {
		return false;
	}
}

/** One pass of garbage collection. */
export async function collectUnreferencedFiles(options: FileGcOptions): Promise<FileGcResult> {
	const cutoff = (options.nowMs ?? Date.now()) - options.graceMs;
	const { deleted, orphaned } = await options.files.deleteUnreferenced(cutoff);
	let blobs = 0;
	for (const sha256 of orphaned) {
		// Checked again at the last moment: the same bytes may have been uploaded meanwhile (an
		// upload of existing bytes touches them, and a new row may not be recorded yet).
		if (await options.files.hasContent(sha256)) continue;
		const writtenAt = await options.blobs.writtenAt(sha256);
		if (writtenAt === null || writtenAt >= cutoff) continue;
		await deleteBlob(options.blobs, options.filesDir, sha256);
		blobs++;
	}
	let partials = 0;
	const tmpDir = join(options.filesDir, 'tmp');
	const names = await readdir(tmpDir).catch(() => [] as string[]);
	for (const name of names) {
		const path = join(tmpDir, name);
		if (!name.endsWith('.part') || !(await writtenBefore(path, cutoff))) continue;
		await unlink(path).catch(() => undefined);
		partials++;
	}
	return { uploads: deleted, blobs, partials };
}

export interface FileGcSchedule extends FileGcOptions {
	readonly intervalMs: number;
	onResult(result: FileGcResult): void;
	onError(error: unknown): void;
}

/** Runs a pass every `intervalMs` (never two at once); returns what stops it. */
export function scheduleFileGc(schedule: FileGcSchedule): () => void {
	let running = false;
	const timer = setInterval(() => {
		if (running) return;
		running = true;
		collectUnreferencedFiles(schedule)
			.then(schedule.onResult, schedule.onError)
			.finally(() => (running = false));
	}, schedule.intervalMs);
	timer.unref();
	return () => clearInterval(timer);
}
