import { json } from '@sveltejs/kit';
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { changeRoomSettings, roomSettingsView } from '$lib/server/room-settings';
import { RoomSettingsSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

/** The owner renames, re-topics, archives or reopens the room. */
export const PATCH: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, RoomSettingsSchema);
	if (!body.ok) return body.response;
	const { storage, events } = event.locals.services;
	const result = await changeRoomSettings(
		storage.rooms,
		events,
		event.params.id,
		auth.user.id,
		body.data
	);
	if (!result.ok) return membershipError(result.reason);
	return json(roomSettingsView(result.value));
};
