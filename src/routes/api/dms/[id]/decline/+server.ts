import { declineDmRequest } from '$lib/server/dms';
import { membershipError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The recipient declines a DM request (204): it goes, and its sender may not ask again. */
export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await declineDmRequest(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id
	);
	if (!result.ok) return membershipError(result.reason);
	return new Response(null, { status: 204 });
};
