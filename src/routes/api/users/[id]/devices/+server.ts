/**
 * GET /api/users/<id>/devices: another user's active devices and their public keys, for any
 * signed-in user (public keys are public: replicas verify signatures and compare safety
 * numbers with them). 404 for an unknown user.
 */
import { json } from '@sveltejs/kit';
import { listDevices } from '$lib/server/devices';
import { jsonError, requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const { storage } = event.locals.services;
	const user = await storage.accounts.getUser(event.params.id);
	if (!user) return jsonError(404, 'No such user.');
	return json({ devices: await listDevices(storage.devices, user.id) });
};
