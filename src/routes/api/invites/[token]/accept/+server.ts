import { json } from '@sveltejs/kit';
import { membershipError, requireApiUser } from '$lib/server/http';
import { acceptInvite } from '$lib/server/invites';
import type { RequestHandler } from './$types';

/** Joins the invite's room (200 also for a user already in it); 410 gone, 404 unknown. */
export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await acceptInvite(
		event.locals.services.storage.rooms,
		event.params.token,
		auth.user.id
	);
	if (!result.ok) return membershipError(result.reason);
	return json({ roomId: result.value.room.id });
};
