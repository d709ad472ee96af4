/**
 * `storage.devices` on PostgreSQL: devices and their public keys, kept after removal (as
 * ../sqlite/devices.ts). A registration locks its user's row, so two at once cannot both pass
 * the limit of active devices.
 */
import { toDevice, toToDeviceMessage, type DeviceRow, type ToDeviceRow } from '../rows';
import type { DeviceStorage, SendToDevicesOutcome } from '../types';
import type { Sql } from './db';

export function postgresDevices(sql: Sql): DeviceStorage {
	return {
		async register(device, maxActive) {
			return sql.begin(async (tx) => {
				await tx`SELECT 1 FROM users WHERE id = ${device.userId} FOR UPDATE`;
				const [counted] = await tx<{ active: number }[]>`SELECT count(*)::int AS active
					FROM devices WHERE user_id = ${device.userId} AND removed_at IS NULL`;
				if ((counted?.active ?? 0) >= maxActive)
					return { ok: false, reason: 'too-many-devices' } as const;
				const inserted = await tx`INSERT INTO devices
						(id, user_id, name, signing_key, agreement_key, created_at)
					VALUES (${device.id}, ${device.userId}, ${device.name}, ${device.signingKey},
						${device.agreementKey}, ${device.createdAt})
					ON CONFLICT (signing_key) DO NOTHING
					RETURNING id`;
				if (inserted.length === 0) return { ok: false, reason: 'key-in-use' } as const;
				return { ok: true } as const;
			});
		},
		async listOfUser(userId) {
			const rows = await sql<DeviceRow[]>`SELECT * FROM devices
				WHERE user_id = ${userId} AND removed_at IS NULL ORDER BY created_at, id`;
			return rows.map(toDevice);
		},
		async get(deviceId) {
			const [row] = await sql<DeviceRow[]>`SELECT * FROM devices WHERE id = ${deviceId}`;
			return row ? toDevice(row) : null;
		},
		async remove(userId, deviceId, now) {
			const rows = await sql`UPDATE devices SET removed_at = ${now}
				WHERE id = ${deviceId} AND user_id = ${userId} AND removed_at IS NULL RETURNING id`;
			return rows.length === 1;
		},
		async sendToDevices(fromDevice, messages, now, maxPending) {
			return sql.begin(async (tx): Promise<SendToDevicesOutcome> => {
				const devices = [...new Set(messages.map((message) => message.toDevice))].sort();
				// Lock the recipients in id order: two senders filling one inbox count one at a time.
				const rows = await tx<{ id: string; queued: number }[]>`SELECT d.id,
						(SELECT count(*)::int FROM device_inbox i WHERE i.to_device = d.id) AS queued
					FROM devices d WHERE d.id = ANY(${devices}) AND d.removed_at IS NULL
					ORDER BY d.id FOR UPDATE`;
				const queued = new Map(rows.map((row) => [row.id, row.queued]));
				for (const message of messages) {
					const device = message.toDevice;
					const count = queued.get(device);
					if (count === undefined) return { ok: false, reason: 'unknown-device', device };
					if (count >= maxPending) return { ok: false, reason: 'inbox-full', device };
					queued.set(device, count + 1);
				}
				for (const message of messages) {
					await tx`INSERT INTO device_inbox (id, to_device, from_device, body, sig, created_at)
						VALUES (${message.id}, ${message.toDevice}, ${fromDevice}, ${message.body},
							${message.sig}, ${now})`;
				}
				return { ok: true };
			});
		},
		async inbox(toDevice, limit) {
			const rows = await sql<ToDeviceRow[]>`SELECT i.id, i.from_device, d.user_id AS from_user,
					i.body, i.sig, i.created_at
				FROM device_inbox i JOIN devices d ON d.id = i.from_device
				WHERE i.to_device = ${toDevice} ORDER BY i.created_at, i.id LIMIT ${limit}`;
			return rows.map(toToDeviceMessage);
		},
		async ackInbox(toDevice, ids) {
			if (ids.length === 0) return 0;
			const rows = await sql`DELETE FROM device_inbox
				WHERE to_device = ${toDevice} AND id = ANY(${[...ids]}) RETURNING id`;
			return rows.length;
		}
	};
}
