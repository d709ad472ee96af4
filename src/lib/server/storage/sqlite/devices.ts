/** `storage.devices` on SQLite: devices and their public keys, kept after removal. */
import { toDevice, type DeviceRow } from '../rows';
import type { DeviceStorage, RegisterDeviceOutcome } from '../types';
import { cachedStatement, type Db } from './db';

const COLUMNS = 'id, user_id, name, signing_key, agreement_key, created_at, removed_at';

export function sqliteDevices(db: Db): DeviceStorage {
	return {
		async register(device, maxActive) {
			const insert = db.transaction((): RegisterDeviceOutcome => {
				const { active } = db
					.prepare(
						'SELECT count(*) AS active FROM devices WHERE user_id = ? AND removed_at IS NULL'
					)
					.get(device.userId) as { active: number };
				if (active >= maxActive) return { ok: false, reason: 'too-many-devices' };
				const taken = db
					.prepare('SELECT 1 FROM devices WHERE signing_key = ?')
					.get(device.signingKey);
				if (taken) return { ok: false, reason: 'key-in-use' };
				db.prepare(
					`INSERT INTO devices (id, user_id, name, signing_key, agreement_key, created_at)
					 VALUES (?, ?, ?, ?, ?, ?)`
				).run(
					device.id,
					device.userId,
					device.name,
					device.signingKey,
					device.agreementKey,
					device.createdAt
				);
				return { ok: true };
			});
			return insert.immediate();
		},
		async listOfUser(userId) {
			const rows = db
				.prepare(
					`SELECT ${COLUMNS} FROM devices WHERE user_id = ? AND removed_at IS NULL
					 ORDER BY created_at, id`
				)
				.all(userId) as DeviceRow[];
			return rows.map(toDevice);
		},
		async get(deviceId) {
			// The gate's key cache misses land here.
			const row = cachedStatement<[string], DeviceRow>(
				db,
				`SELECT ${COLUMNS} FROM devices WHERE id = ?`
			).get(deviceId);
			return row ? toDevice(row) : null;
		},
		async remove(userId, deviceId, now) {
			const result = db
				.prepare(
					'UPDATE devices SET removed_at = ? WHERE id = ? AND user_id = ? AND removed_at IS NULL'
				)
				.run(now, deviceId, userId);
			return result.changes === 1;
		}
	};
}
