/**
 * Thumbnails of inline images (docs/design.md, "Files"): made with sharp (libvips) on the first
 * `GET /api/files/<id>?thumb=1` and kept beside the blobs, content-addressed like them:
 * `DATA_DIR/files/thumbs/<sha256[0..2]>/<sha256>.webp`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { BlobStore } from './storage/blobs';

/** The longest side of a thumbnail, in pixels (the room shows it at 224×160 CSS px, 2× DPR). */
export const THUMBNAIL_MAX_PX = 480;
/** Every thumbnail is WebP, whatever the original's type (an animated GIF: its first frame). */
export const THUMBNAIL_TYPE = 'image/webp';
/** WebP quality (0–100). */
const THUMBNAIL_QUALITY = 72;
/** A decompression bomb (a small file declaring a huge canvas) is refused past this. */
const MAX_INPUT_PIXELS = 50_000_000;

/** Where the thumbnail of the blob with this SHA-256 lives. */
export function thumbnailPath(filesDir: string, sha256: string): string {
	return join(filesDir, 'thumbs', sha256.slice(0, 2), `${sha256}.webp`);
}

/** The thumbnail's bytes made from an image's bytes (or its path). Throws if sharp can't read it. */
export async function makeThumbnail(input: string | Uint8Array): Promise<Buffer> {
	return sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
		.rotate() // apply EXIF orientation, then drop the metadata
		.resize(THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX, { fit: 'inside', withoutEnlargement: true })
		.webp({ quality: THUMBNAIL_QUALITY })
		.toBuffer();
}

/** A blob's bytes in one buffer (an image within the upload limit), or null when it is gone. */
async function readBlob(blobs: Pick<BlobStore, 'get'>, sha256: string): Promise<Buffer | null> {
	const stream = await blobs.get(sha256);
	if (!stream) return null;
	const chunks: Uint8Array[] = [];
	const reader = stream.getReader();
	for (let next = await reader.read(); !next.done; next = await reader.read()) {
		chunks.push(next.value);
	}
	return Buffer.concat(chunks);
}

/**
 * The path of the blob's thumbnail, made now from the blob store's bytes if it is not there yet
 * (written under a temporary name and renamed, so a concurrent request never reads half a
 * file). The thumbnails are a per-instance cache: any instance makes them again from the blob
 * store. Null when the image is gone or cannot be decoded.
 */
export async function ensureThumbnail(
	filesDir: string,
	blobs: Pick<BlobStore, 'get'>,
	sha256: string
): Promise<string | null> {
	const target = thumbnailPath(filesDir, sha256);
	if (existsSync(target)) return target;
	let bytes: Buffer;
	try {
		const original = await readBlob(blobs, sha256);
		if (!original) return null;
		bytes = await makeThumbnail(original);
	} catch {
		return null;
	}
	mkdirSync(dirname(target), { recursive: true });
	const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
	await writeFile(temp, bytes);
	await rename(temp, target);
	return target;
}

/** Deletes a blob's thumbnail, if any. */
export async function deleteThumbnail(filesDir: string, sha256: string): Promise<void> {
	await unlink(thumbnailPath(filesDir, sha256)).catch(() => undefined);
}
