/** GET /api/rooms/<id>/history: the head's epoch and the sealed segments, oldest first. */
import { json } from '@sveltejs/kit';
import { getRoomHistory } from '$lib/server/history';
import { historyError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await getRoomHistory(event.locals.services.storage, event.params.id, auth.user.id);
	if (!result.ok) return historyError(result.reason);
	return json(result.value, { headers: { 'cache-control': 'private, no-store' } });
};
