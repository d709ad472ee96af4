/**
 * GET /api/rooms/<id>/segments/<n>: one sealed segment `{ n, epoch, messages }`. Immutable, so
 * cached for a year with a strong ETag; gzipped when the client accepts it.
 */
import { getSegment, segmentBody } from '$lib/server/history';
import { historyError, jsonError, requireApiUser } from '$lib/server/http';
import { IndexParamSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const n = IndexParamSchema.safeParse(event.params.n);
	if (!n.success) return jsonError(400, 'The segment number must be a non-negative integer.');
	const result = await getSegment(
		event.locals.services.storage,
		event.params.id,
		n.data,
		auth.user.id
	);
	if (!result.ok) return historyError(result.reason, 'No such segment.');
	const segment = result.value;
	// A segment's bytes never change once written: its room, number and epoch name it.
	const etag = `"${event.params.id}-${segment.n}-${segment.epoch}"`;
	const headers: Record<string, string> = {
		etag,
		'cache-control': 'private, max-age=31536000, immutable',
		vary: 'accept-encoding'
	};
	if (event.request.headers.get('if-none-match') === etag) {
		return new Response(null, { status: 304, headers });
	}
	const gzip = /\bgzip\b/.test(event.request.headers.get('accept-encoding') ?? '');
	const body = segmentBody(segment, gzip);
	if (gzip) headers['content-encoding'] = 'gzip';
	return new Response(new Uint8Array(body), {
		status: 200,
		headers: {
			...headers,
			'content-type': 'application/json',
			'content-length': String(body.byteLength)
		}
	});
};
