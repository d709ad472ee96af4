import { json } from '@sveltejs/kit';
import { openDm } from '$lib/server/dms';
import { membershipError, readJsonBody, requireApiUser, tooManyRequests } from '$lib/server/http';
import { OpenDmSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

/** The user's DMs (`status` 'pending' until the other accepts) and the requests sent to them. */
export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const { rooms } = event.locals.services.storage;
	return json({
		dms: await rooms.listDms(auth.user.id),
		requests: await rooms.listDmRequests(auth.user.id)
	});
};

/**
 * Opens the DM with a user (`{ username }`) or the group DM with 2–8 users (`{ usernames }`):
 * 201 when it is new (a request to each who shares no room with the caller), 200 when that exact
 * set already had one; 429 past DMS_PER_HOUR new DMs.
 */
export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, OpenDmSchema);
	if (!body.ok) return body.response;
	const user = auth.user;
	const result = await openDm(
		event.locals.services.storage,
		user,
		body.data.usernames,
		Date.now(),
		() => event.locals.services.limits.dms.consume(user.id)
	);
	if (!result.ok) {
		return result.reason === 'rate-limited'
			? tooManyRequests(result.retryAfterSeconds)
			: membershipError(result.reason);
	}
	const { room, created, status } = result;
	return json(
		{ id: room.id, name: room.name, visibility: room.visibility, kind: room.kind, status },
		{ status: created ? 201 : 200 }
	);
};
