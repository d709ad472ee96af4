/**
 * GET /api/users/<id>/devices/<deviceId>: one device of that user, removed or not, with
 * `removedAt` (null while active). A replica holding an item signed by a device the user has
 * since removed reads its key here: what it signed still verifies as its own. 404 when the
 * user has no such device (the item's signature is not its author's).
 */
import { json } from '@sveltejs/kit';
import { publishedDevice } from '$lib/server/devices';
import { jsonError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const device = await event.locals.services.storage.devices.get(event.params.deviceId);
	if (device === null || device.userId !== event.params.id) {
		return jsonError(404, 'No such device.');
	}
	return json({ device: { ...publishedDevice(device), removedAt: device.removedAt } });
};
