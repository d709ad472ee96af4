/**
 * `storage.devices` on PostgreSQL: devices and their public keys, kept after removal (as
 * ../sqlite/devices.ts). A registration locks its user's row, so two at once cannot both pass
 * the limit of active devices.
 */
import { toDevice, type DeviceRow } from '../rows';
import type { DeviceStorage } from '../types';
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
		}
	};
}
