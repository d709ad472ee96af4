import { json } from '@sveltejs/kit';
import { membershipError, requireApiUser } from '$lib/server/http';
import { roomReceipts } from '$lib/server/receipts';
import type { RequestHandler } from './$types';

/** The room's members with their delivery marks (docs/design.md "Delivered and read"). */
export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await roomReceipts(event.locals.services.storage, event.params.id, auth.user.id);
	if (!result.ok) return membershipError(result.reason);
	return json({ members: result.value });
};
