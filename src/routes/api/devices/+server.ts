/**
 * GET /api/devices: the caller's active devices. POST /api/devices: registers the caller's
 * browser (its public keys and a proof that it holds the signing key), 201 with the device, or
 * 200 with it when this user had registered that key already (idempotent: the id is the key's).
 */
import { json } from '@sveltejs/kit';
import { listDevices, registerDevice } from '$lib/server/devices';
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { RegisterDeviceSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const devices = await listDevices(event.locals.services.storage.devices, auth.user.id);
	return json({ devices });
};

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, RegisterDeviceSchema);
	if (!body.ok) return body.response;
	const result = await registerDevice(
		event.locals.services.storage.devices,
		auth.user.id,
		body.data,
		Date.now()
	);
	if (!result.ok) return membershipError(result.reason);
	return json({ device: result.device }, { status: result.created ? 201 : 200 });
};
