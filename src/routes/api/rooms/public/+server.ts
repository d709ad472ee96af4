import { json } from '@sveltejs/kit';
import { requireApiUser } from '$lib/server/http';
import { listPublicRooms } from '$lib/server/rooms';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	return json({ rooms: await listPublicRooms(event.locals.services.storage.rooms, auth.user.id) });
};
