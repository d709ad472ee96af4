import { membershipError, requireApiUser } from '$lib/server/http';
import { revokeInvite } from '$lib/server/invites';
import type { RequestHandler } from './$types';

export const DELETE: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await revokeInvite(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id,
		event.params.inviteId
	);
	if (!result.ok) return membershipError(result.reason);
	return new Response(null, { status: 204 });
};
