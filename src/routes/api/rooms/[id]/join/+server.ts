import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { membershipError, requireApiUser } from '$lib/server/http';
import { joinRoom } from '$lib/server/memberships';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = joinRoom(getDb(), event.params.id, auth.user.id);
	if (!result.ok) return membershipError(result.reason);
	const room = result.value;
	return json({ id: room.id, name: room.name, visibility: room.visibility });
};
