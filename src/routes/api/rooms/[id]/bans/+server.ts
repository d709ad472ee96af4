import { json } from '@sveltejs/kit';
import { membershipError, requireApiUser } from '$lib/server/http';
import { listBans } from '$lib/server/memberships';
import type { RequestHandler } from './$types';

/** The users the owner removed (owner only); each stays out until invited, added or unbanned. */
export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await listBans(event.locals.services.storage.rooms, event.params.id, auth.user.id);
	if (!result.ok) return membershipError(result.reason);
	return json({
		bans: result.value.map((ban) => ({
			id: ban.id,
			username: ban.username,
			bannedAt: new Date(ban.bannedAt).toISOString()
		}))
	});
};
