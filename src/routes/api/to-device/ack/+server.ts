/** POST /api/to-device/ack `{ device, ids }`: deletes read messages of one of the caller's devices (204). */
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { AckToDeviceSchema } from '$lib/server/schemas';
import { ackInbox } from '$lib/server/to-device';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, AckToDeviceSchema);
	if (!body.ok) return body.response;
	const { storage } = event.locals.services;
	const result = await ackInbox(storage.devices, auth.user.id, body.data.device, body.data.ids);
	if (!result.ok) return membershipError(result.reason);
	return new Response(null, { status: 204 });
};
