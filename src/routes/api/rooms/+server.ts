import { json } from '@sveltejs/kit';
import { readJsonBody, requireApiUser, tooManyRequests } from '$lib/server/http';
import { createRoom, listUserRooms } from '$lib/server/rooms';
import { CreateRoomSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	return json({ rooms: await listUserRooms(event.locals.services.storage.rooms, auth.user.id) });
};

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, CreateRoomSchema);
	if (!body.ok) return body.response;
	const verdict = event.locals.services.limits.rooms.consume(auth.user.id);
	if (!verdict.allowed) return tooManyRequests(verdict.retryAfterSeconds);
	const room = await createRoom(
		event.locals.services.storage.rooms,
		auth.user.id,
		body.data.name,
		body.data.visibility,
		Date.now(),
		body.data.encrypted ?? false
	);
	return json(
		{ id: room.id, name: room.name, visibility: room.visibility, encrypted: room.encrypted },
		{ status: 201 }
	);
};
