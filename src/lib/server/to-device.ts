/**
 * The to-device channel (docs/design.md "Encrypted rooms"): a device of the caller sends sealed
 * key shares to other devices; a device reads its inbox and acknowledges what it read. The
 * server stores and relays ciphertext only: it checks who sends from which device, never what.
 */
import { generateId } from './id';
import type { SendToDeviceInput } from './schemas';
import type { DeviceStorage, ToDeviceMessage } from './storage/types';

/** Messages one request may send: their JSON stays under the 16 KiB body limit. */
export const MAX_TO_DEVICE_PER_REQUEST = 32;
/** Messages one device's inbox may hold unread; more is 429 until it reads. */
export const MAX_INBOX_PER_DEVICE = 2_000;
/** Messages one GET answers at most. */
export const INBOX_PAGE = 100;

export type ToDeviceFailure = 'not-your-device' | 'unknown-device' | 'inbox-full';

/** Whether `deviceId` is an active device of `userId`. */
async function ownsDevice(devices: DeviceStorage, userId: string, deviceId: string) {
	const device = await devices.get(deviceId);
	return device !== null && device.userId === userId && device.removedAt === null;
}

/**
 * Stores sealed messages from one of the caller's devices for other devices; `recipients` are
 * the users whose devices they went to (whose user sockets are told).
 */
export async function sendToDevices(
	devices: DeviceStorage,
	userId: string,
	input: SendToDeviceInput,
	now: number
): Promise<
	{ ok: true; sent: number; recipients: string[] } | { ok: false; reason: ToDeviceFailure }
> {
	if (!(await ownsDevice(devices, userId, input.from))) {
		return { ok: false, reason: 'not-your-device' };
	}
	const messages = input.messages.map((message) => ({
		id: generateId(),
		toDevice: message.to,
		body: message.body,
		sig: message.sig
	}));
	const outcome = await devices.sendToDevices(input.from, messages, now, MAX_INBOX_PER_DEVICE);
	if (!outcome.ok) return { ok: false, reason: outcome.reason };
	const recipients = new Set<string>();
	for (const to of new Set(messages.map((message) => message.toDevice))) {
		const device = await devices.get(to);
		if (device) recipients.add(device.userId);
	}
	return { ok: true, sent: messages.length, recipients: [...recipients] };
}

/** The inbox of one of the caller's devices, oldest first. */
export async function readInbox(
	devices: DeviceStorage,
	userId: string,
	deviceId: string
): Promise<{ ok: true; messages: ToDeviceMessage[] } | { ok: false; reason: 'not-your-device' }> {
	if (!(await ownsDevice(devices, userId, deviceId))) {
		return { ok: false, reason: 'not-your-device' };
	}
	return { ok: true, messages: await devices.inbox(deviceId, INBOX_PAGE) };
}

/** Deletes read messages of one of the caller's devices. */
export async function ackInbox(
	devices: DeviceStorage,
	userId: string,
	deviceId: string,
	ids: readonly string[]
): Promise<{ ok: true; deleted: number } | { ok: false; reason: 'not-your-device' }> {
	if (!(await ownsDevice(devices, userId, deviceId))) {
		return { ok: false, reason: 'not-your-device' };
	}
	return { ok: true, deleted: await devices.ackInbox(deviceId, ids) };
}
