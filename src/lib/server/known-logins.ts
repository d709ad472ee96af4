/**
 * Where each user logged in from before: their devices (a random token in the long-lived
 * `parley_device` cookie, set on every successful sign-up and login) and their client addresses.
 * The login limits (auth.ts) give each known device and address its own bucket, so strangers'
 * guesses slow strangers down and never lock the owner out. Only SHA-256 of each key is stored.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import { generateId } from './id';
import type { LoginOrigin } from './rate-limit';
import type { AccountStorage } from './storage/types';

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
export async function recognizeLogin(
	accounts: AccountStorage,
	userId: string,
	deviceToken: string | null,
	address: string,
	now: number = Date.now()
): Promise<LoginOrigin> {
	const since = now - KNOWN_LOGIN_DAYS * DAY_MS;
	if (deviceToken !== null) {
		const hash = keyHash('device', deviceToken);
		if (await accounts.isKnownLogin(userId, hash, since)) {
			return { kind: 'device', deviceId: encodeHexLowerCase(hash) };
		}
	}
	if (await accounts.isKnownLogin(userId, keyHash('address', address), since)) {
		return { kind: 'address' };
	}
	return { kind: 'stranger' };
}

/** After a successful login or sign-up: the device and the address are known from now on. */
export async function rememberLogin(
	accounts: AccountStorage,
	userId: string,
	deviceToken: string,
	address: string,
	now: number = Date.now()
): Promise<void> {
	await accounts.rememberLogin({
		userId,
		keyHashes: [keyHash('device', deviceToken), keyHash('address', address)],
		now,
		forgetBefore: now - KNOWN_LOGIN_DAYS * DAY_MS,
		keepPerUser: MAX_KNOWN_PER_USER
	});
}
