import { json } from '@sveltejs/kit';
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { setRoomLevel } from '$lib/server/notification-levels';
import { RoomLevelSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

/** The caller's notification level for the room (docs/design.md "Notification levels"). */
export const PUT: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, RoomLevelSchema);
	if (!body.ok) return body.response;
	const { storage, events } = event.locals.services;
	const result = await setRoomLevel(
		storage,
		events,
		event.params.id,
		auth.user.id,
		body.data.level
	);
	if (!result.ok) return membershipError(result.reason);
	return json(result.value);
};
