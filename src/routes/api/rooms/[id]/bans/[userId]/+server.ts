import { membershipError, requireApiUser } from '$lib/server/http';
import { unbanUser } from '$lib/server/memberships';
import type { RequestHandler } from './$types';

export const DELETE: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await unbanUser(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id,
		event.params.userId
	);
	if (!result.ok) return membershipError(result.reason);
	return new Response(null, { status: 204 });
};
