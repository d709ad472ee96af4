/**
 * Attachments offline: a file sent from this browser is kept in the service worker's files
 * cache under its download URL as soon as the server has it, so it shows after a reload without
 * a network (the worker answers its thumbnail from it too). Files others sent are kept by the
 * worker when first shown (src/service-worker.ts).
 */
import { FILES_CACHE, fileUrl } from './sw-policy';
import type { FileRef } from './messages';

export async function keepSentFile(file: FileRef, blob: Blob): Promise<void> {
	if (typeof caches === 'undefined') return;
	try {
		const cache = await caches.open(FILES_CACHE);
		const headers = { 'content-type': file.type, 'content-length': String(blob.size) };
		await cache.put(new URL(fileUrl(file.id), location.origin), new Response(blob, { headers }));
	} catch {
		// Best effort (a full disk, no Cache API): the image is fetched when it is shown online.
	}
}
