import { json } from '@sveltejs/kit';
import { jsonError, readJsonBody, requireApiUser } from '$lib/server/http';
import { changeDisplayName } from '$lib/server/profiles';
import { ProfileSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const profile = await event.locals.services.storage.accounts.getProfile(auth.user.id);
	return json({
		id: auth.user.id,
		username: auth.user.username,
		displayName: profile?.displayName ?? '',
		avatar: profile?.avatar ?? null
	});
};

/** Sets the caller's display name ('' for none). */
export const PATCH: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, ProfileSchema);
	if (!body.ok) return body.response;
	const { storage, events } = event.locals.services;
	const profile = await changeDisplayName(
		storage.accounts,
		events,
		auth.user.id,
		body.data.displayName
	);
	if (!profile) return jsonError(404, 'No such user.');
	return json(profile);
};
