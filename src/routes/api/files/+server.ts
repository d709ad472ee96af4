/**
 * POST /api/files?roomId=<id>: a member uploads one file as the raw request body, with its
 * type in Content-Type and its URL-encoded name in `x-file-name` (docs/design.md, "Files").
 */
import { json } from '@sveltejs/kit';
import { checkUploadType, normalizeType, recordFile, sanitizeFileName } from '$lib/server/files';
import { jsonError, membershipError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const { config, storage, blobs } = event.locals.services;
	const roomId = event.url.searchParams.get('roomId');
	if (!roomId) return jsonError(400, 'roomId is required.');
	if (!(await storage.rooms.get(roomId))) return membershipError('room-not-found');
	if (!(await storage.rooms.membership(roomId, auth.user.id))) {
		return membershipError('not-a-member');
	}

	const { request } = event;
	const name = sanitizeFileName(request.headers.get('x-file-name'));
	if (!name) return jsonError(400, 'The x-file-name header must hold a URL-encoded file name.');
	const declared = normalizeType(request.headers.get('content-type'));
	if (!declared) return jsonError(400, 'Content-Type must name the file type.');

	const maxBytes = config.MAX_UPLOAD_BYTES;
	// The rest of the body is not read (sync-server/linger.ts discards it, bounded).
	const tooLarge = (): Response => jsonError(413, `The file is larger than ${maxBytes} bytes.`);
	if (Number(request.headers.get('content-length') ?? '0') > maxBytes) return tooLarge();
	if (!request.body) return jsonError(400, 'The file is empty.');

	const received = await blobs.put(request.body, maxBytes);
	if (!received.ok) return tooLarge();
	const { blob } = received;
	if (blob.size === 0) {
		await blob.discard();
		return jsonError(400, 'The file is empty.');
	}
	const verdict = checkUploadType(declared, blob.head);
	if (!verdict.ok) {
		await blob.discard();
		return jsonError(400, verdict.message);
	}
	await blob.commit();
	const file = await recordFile(storage.files, {
		sha256: blob.sha256,
		roomId,
		uploaderId: auth.user.id,
		name,
		type: verdict.type,
		size: blob.size
	});
	return json({ id: file.id, name: file.name, type: file.type, size: file.size }, { status: 201 });
};
