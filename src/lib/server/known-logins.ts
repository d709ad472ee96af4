/**
 * Where each user logged in from before: their devices (a random token in the long-lived
 * `parley_device` cookie, set on every successful sign-up and login) and their client addresses.
 * The login limits (auth.ts) give each known device and address its own bucket, so strangers'
 * guesses slow strangers down and never lock the owner out. Only SHA-256 of each key is stored.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import type { Db } from './db';
import { generateId } from './id';
import type { LoginOrigin } from './rate-limit';

export const DEVICE_COOKIE = 'parley_device';
/** A device or address counts as known this long after its last successful login. */
export const KNOWN_LOGIN_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Remembered devices and addresses per user; the least recently used go first. */
const MAX_KNOWN_PER_USER = 50;
/** generateId's format: what our device tokens look like. Anything else is ignored. */
const DEVICE_TOKEN = /^[a-z2-7]{24}$/;

function keyHash(kind: 'device' | 'address', value: string): Uint8Array {
	return sha256(new TextEncoder().encode(`${kind}:${value}`));
}

/** The device token from a cookie, when it has our format. */
export function parseDeviceToken(value: string | undefined): string | null {
	return value !== undefined && DEVICE_TOKEN.test(value) ? value : null;
}

export function newDeviceToken(): string {
	return generateId();
}

/** Whether this attempt comes from a device or address the user logged in from before. */
export function recognizeLogin(
	db: Db,
	userId: string,
	deviceToken: string | null,
	address: string,
	now: number = Date.now()
): LoginOrigin {
	const since = now - KNOWN_LOGIN_DAYS * DAY_MS;
	const known = db.prepare(
		'SELECT 1 FROM known_logins WHERE user_id = ? AND key_hash = ? AND last_seen_at >= ?'
	);
	if (deviceToken !== null) {
		const hash = keyHash('device', deviceToken);
		if (known.get(userId, hash, since)) {
			return { kind: 'device', deviceId: encodeHexLowerCase(hash) };
		}
	}
	if (known.get(userId, keyHash('address', address), since)) return { kind: 'address' };
	return { kind: 'stranger' };
}

/** After a successful login or sign-up: the device and the address are known from now on. */
export function rememberLogin(
	db: Db,
	userId: string,
	deviceToken: string,
	address: string,
	now: number = Date.now()
): void {
	const upsert = db.prepare(
		`INSERT INTO known_logins (user_id, key_hash, last_seen_at) VALUES (?, ?, ?)
		 ON CONFLICT (user_id, key_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at`
	);
	db.transaction(() => {
		upsert.run(userId, keyHash('device', deviceToken), now);
		upsert.run(userId, keyHash('address', address), now);
		db.prepare(
			`DELETE FROM known_logins WHERE user_id = ? AND (last_seen_at < ? OR key_hash NOT IN (
				SELECT key_hash FROM known_logins WHERE user_id = ? ORDER BY last_seen_at DESC LIMIT ?
			))`
		).run(userId, now - KNOWN_LOGIN_DAYS * DAY_MS, userId, MAX_KNOWN_PER_USER);
	})();
}
