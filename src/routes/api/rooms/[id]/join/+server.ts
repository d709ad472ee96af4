import { json } from '@sveltejs/kit';
import { membershipError, requireApiUser } from '$lib/server/http';
import { joinRoom } from '$lib/server/memberships';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await joinRoom(event.locals.services.storage.rooms, event.params.id, auth.user.id);
	if (!result.ok) return membershipError(result.reason);
	const room = result.value;
	return json({ id: room.id, name: room.name, visibility: room.visibility });
};
