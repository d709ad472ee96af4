/**
 * GET /api/files/<id>: the bytes of an upload, for current members of its room only. Images
 * (png, jpeg, gif, webp; checked at upload) are inline, anything else is a download; nosniff and
 * a sandboxing CSP keep the browser from running any of it as a page of our origin.
 * `?thumb=1` on an inline image answers its thumbnail (WebP, at most THUMBNAIL_MAX_PX a side,
 * made once with sharp: src/lib/server/thumbnails.ts); an image sharp cannot decode gets 404.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { contentDisposition, isInlineType } from '$lib/server/files';
import { jsonError, requireApiUser } from '$lib/server/http';
import { ensureThumbnail, THUMBNAIL_TYPE } from '$lib/server/thumbnails';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const access = await event.locals.services.storage.files.getForUser(
		event.params.id,
		auth.user.id
	);
	if (!access.ok) {
		return access.reason === 'file-not-found'
			? jsonError(404, 'No such file.')
			: jsonError(403, 'You are not a member of this file’s room.');
	}
	const { file } = access;
	const filesDir = join(event.locals.services.config.DATA_DIR, 'files');
	const thumb = event.url.searchParams.get('thumb') === '1' && isInlineType(file.type);
	const etag = thumb ? `"${file.sha256}-thumb"` : `"${file.sha256}"`;
	const headers: Record<string, string> = {
		etag,
		// Revalidated on every use, so a removed member's browser cannot keep reading from cache.
		'cache-control': 'private, no-cache',
		'x-content-type-options': 'nosniff',
		'content-security-policy': "default-src 'none'; sandbox",
		'content-disposition': contentDisposition(
			isInlineType(file.type) ? 'inline' : 'attachment',
			file.name
		)
	};
	if (event.request.headers.get('if-none-match') === etag) {
		return new Response(null, { status: 304, headers });
	}
	const { blobs } = event.locals.services;
	if (!thumb) {
		const body = await blobs.get(file.sha256);
		if (!body) return jsonError(404, 'The file’s content is missing.');
		return new Response(body, {
			status: 200,
			headers: { ...headers, 'content-type': file.type, 'content-length': String(file.size) }
		});
	}
	if (!(await blobs.has(file.sha256))) return jsonError(404, 'The file’s content is missing.');
	const thumbnail = await ensureThumbnail(filesDir, blobs, file.sha256);
	if (thumbnail === null) return jsonError(404, 'This image has no thumbnail.');
	const body = Readable.toWeb(createReadStream(thumbnail)) as ReadableStream<Uint8Array>;
	return new Response(body, {
		status: 200,
		headers: {
			...headers,
			'content-type': THUMBNAIL_TYPE,
			'content-length': String((await stat(thumbnail)).size)
		}
	});
};
