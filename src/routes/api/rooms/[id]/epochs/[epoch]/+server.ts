/** GET /api/rooms/<id>/epochs/<epoch>: a sealed epoch's final state vector (base64). */
import { json } from '@sveltejs/kit';
import { getSealedStateVector } from '$lib/server/history';
import { historyError, jsonError, requireApiUser } from '$lib/server/http';
import { IndexParamSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const epoch = IndexParamSchema.safeParse(event.params.epoch);
	if (!epoch.success) return jsonError(400, 'The epoch must be a non-negative integer.');
	const result = await getSealedStateVector(
		event.locals.services.storage,
		event.params.id,
		epoch.data,
		auth.user.id
	);
	if (!result.ok) return historyError(result.reason, 'That epoch is not sealed.');
	return json(
		{ epoch: epoch.data, stateVector: Buffer.from(result.value).toString('base64') },
		// A sealed epoch never changes.
		{ headers: { 'cache-control': 'private, max-age=31536000, immutable' } }
	);
};
