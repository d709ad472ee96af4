/**
 * PUT /api/me/avatar: the caller's profile picture, as the raw request body with its type in
 * Content-Type (PNG, JPEG, WebP or GIF; ≤ 1 MiB); answers `{ avatar: <version> }`.
 * DELETE /api/me/avatar: back to the generated initials. docs/design.md "Profiles".
 */
import { json } from '@sveltejs/kit';
import { storeAvatar } from '$lib/server/avatars';
import { jsonError, requireApiUser, tooManyRequests } from '$lib/server/http';
import { profileChanged } from '$lib/server/profiles';
import type { RequestHandler } from './$types';

export const PUT: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const { storage, blobs, limits, events } = event.locals.services;
	const verdict = limits.avatars.consume(auth.user.id);
	if (!verdict.allowed) return tooManyRequests(verdict.retryAfterSeconds);
	// The body is read only now, after the session and the limit (hooks.server.ts streams it).
	const { request } = event;
	const stored = await storeAvatar(
		{ accounts: storage.accounts, blobs },
		auth.user.id,
		request.headers.get('content-type'),
		request.body
	);
	if (!stored.ok) return jsonError(stored.status, stored.message);
	profileChanged(events, stored.profile);
	return json({ avatar: stored.profile.avatar });
};

export const DELETE: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const { storage, events } = event.locals.services;
	const profile = await storage.accounts.setAvatar(auth.user.id, null, Date.now());
	if (!profile) return jsonError(404, 'No such user.');
	profileChanged(events, profile);
	return new Response(null, { status: 204 });
};
