/**
 * The to-device channel (docs/design.md "Encrypted rooms"). POST: sealed key shares from one of
 * the caller's devices to other devices (201 `{ sent }`; the recipients' user sockets are told). GET `?device=<id>`: that device's
 * inbox, oldest first (one of the caller's active devices).
 */
import { json } from '@sveltejs/kit';
import { jsonError, membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { DEVICE_ID } from '$lib/protocol/schema';
import { SendToDeviceSchema } from '$lib/server/schemas';
import { readInbox, sendToDevices } from '$lib/server/to-device';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, SendToDeviceSchema);
	if (!body.ok) return body.response;
	const { storage, events } = event.locals.services;
	const result = await sendToDevices(storage.devices, auth.user.id, body.data, Date.now());
	if (!result.ok) return membershipError(result.reason);
	events.emit('inbox-filled', { userIds: result.recipients });
	return json({ sent: result.sent }, { status: 201 });
};

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const device = event.url.searchParams.get('device') ?? '';
	if (!DEVICE_ID.test(device)) return jsonError(400, 'device is a device id.');
	const { storage } = event.locals.services;
	const result = await readInbox(storage.devices, auth.user.id, device);
	if (!result.ok) return membershipError(result.reason);
	return json({ messages: result.messages });
};
