import { json } from '@sveltejs/kit';
import { acceptDmRequest } from '$lib/server/dms';
import { membershipError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The recipient accepts a DM request: 200 with the DM, now theirs too; 404 if none is pending. */
export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await acceptDmRequest(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id
	);
	if (!result.ok) return membershipError(result.reason);
	const { room } = result;
	return json({
		id: room.id,
		name: room.name,
		visibility: room.visibility,
		kind: room.kind,
		status: 'active'
	});
};
