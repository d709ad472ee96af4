/**
 * GET /api/users/<id>/avatar?v=<version>: a user's profile picture, for any signed-in user
 * (docs/design.md "Profiles"). The version names the bytes, so an answer for the current one is
 * cached for a year; any other version is answered with the current picture but not cached.
 * nosniff and a sandboxing CSP keep the browser from running it as a page of our origin.
 */
import { jsonError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

const YEAR_SECONDS = 365 * 24 * 60 * 60;

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const { storage, blobs } = event.locals.services;
	const avatar = await storage.accounts.getAvatar(event.params.id);
	if (!avatar) return jsonError(404, 'This user has no picture.');
	const etag = `"${avatar.sha256}"`;
	const current = event.url.searchParams.get('v') === avatar.version;
	const headers: Record<string, string> = {
		etag,
		'cache-control': current ? `private, max-age=${YEAR_SECONDS}, immutable` : 'private, no-cache',
		'x-content-type-options': 'nosniff',
		'content-security-policy': "default-src 'none'; sandbox",
		'content-disposition': 'inline'
	};
	if (event.request.headers.get('if-none-match') === etag) {
		return new Response(null, { status: 304, headers });
	}
	const body = await blobs.get(avatar.sha256);
	if (!body) return jsonError(404, 'The picture’s content is missing.');
	return new Response(body, { status: 200, headers: { ...headers, 'content-type': avatar.type } });
};
