import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { requireApiUser } from '$lib/server/http';
import { listPublicRooms } from '$lib/server/rooms';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	return json({ rooms: listPublicRooms(getDb(), auth.user.id) });
};
