/** DELETE /api/devices/<id>: removes one of the caller's devices (204), else 404. */
import { jsonError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const DELETE: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const removed = await event.locals.services.storage.devices.remove(
		auth.user.id,
		event.params.id,
		Date.now()
	);
	if (!removed) return jsonError(404, 'No such device.');
	return new Response(null, { status: 204 });
};
