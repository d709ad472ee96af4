/** `storage.devices` on SQLite: devices and their public keys, kept after removal. */
import { toDevice, toToDeviceMessage, type DeviceRow, type ToDeviceRow } from '../rows';
import type { DeviceStorage, RegisterDeviceOutcome, SendToDevicesOutcome } from '../types';
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
		},
		async sendToDevices(fromDevice, messages, now, maxPending) {
			const send = db.transaction((): SendToDevicesOutcome => {
				const pending = db.prepare(
					`SELECT (SELECT removed_at IS NULL FROM devices WHERE id = ?) AS active,
						(SELECT count(*) FROM device_inbox WHERE to_device = ?) AS queued`
				);
				const insert = db.prepare(
					`INSERT INTO device_inbox (id, to_device, from_device, body, sig, created_at)
					 VALUES (?, ?, ?, ?, ?, ?)`
				);
				// Every recipient is checked before anything is written: all or none.
				const queued = new Map<string, number>();
				for (const message of messages) {
					const device = message.toDevice;
					let count = queued.get(device);
					if (count === undefined) {
						const row = pending.get(device, device) as { active: number | null; queued: number };
						if (row.active !== 1) return { ok: false, reason: 'unknown-device', device };
						count = row.queued;
					}
					if (count >= maxPending) return { ok: false, reason: 'inbox-full', device };
					queued.set(device, count + 1);
				}
				for (const message of messages) {
					insert.run(message.id, message.toDevice, fromDevice, message.body, message.sig, now);
				}
				return { ok: true };
			});
			return send.immediate();
		},
		async inbox(toDevice, limit) {
			const rows = db
				.prepare(
					`SELECT i.id, i.from_device, d.user_id AS from_user, i.body, i.sig, i.created_at
					 FROM device_inbox i JOIN devices d ON d.id = i.from_device
					 WHERE i.to_device = ? ORDER BY i.created_at, i.id LIMIT ?`
				)
				.all(toDevice, limit) as ToDeviceRow[];
			return rows.map(toToDeviceMessage);
		},
		async ackInbox(toDevice, ids) {
			const remove = db.prepare('DELETE FROM device_inbox WHERE to_device = ? AND id = ?');
			return db.transaction(() => ids.reduce((n, id) => n + remove.run(toDevice, id).changes, 0))();
		}
	};
}
