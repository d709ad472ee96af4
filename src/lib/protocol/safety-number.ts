/**
 * Safety numbers (docs/design.md, "Safety numbers"): two people compare one 60-digit number to
 * check that each holds the other's real device keys, as Signal does.
 *
 * The derivation is Signal's numeric fingerprint (libsignal `NumericFingerprintGenerator`,
 * version 0, 5,200 iterations of SHA-512) with one change: where Signal hashes one identity
 * key, Parley hashes the user's device signing keys, every ACTIVE device's raw Ed25519 key in
 * ascending order of its base64url text, concatenated. So adding or removing a device changes
 * the number. SHA-512 is @noble/hashes' (audited).
 *
 *   digest = SHA-512(0x0000 || keys || userId);  5,200 times: digest = SHA-512(digest || keys)
 *   half   = the first 30 bytes as six 5-byte big-endian numbers, each mod 100,000, 5 digits
 *   number = the two halves, the smaller first (both users see the same 60 digits)
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { PUBLIC_KEY_BYTES, decodeKeyText } from './device-keys';

/** Signal's iteration count for numeric fingerprints. */
export const SAFETY_NUMBER_ITERATIONS = 5_200;
const VERSION = new Uint8Array([0, 0]);

/** A user and the signing keys (base64url) of their active devices. */
export interface KeyOwner {
	readonly userId: string;
	readonly signingKeys: readonly string[];
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

/**
 * The user's keys as one value: sorted and deduplicated, so the order the server listed them
 * in does not matter. Null if one is not a 32-byte key.
 */
export function keySetOf(signingKeys: readonly string[]): string[] | null {
	const sorted = [...new Set(signingKeys)].sort();
	return sorted.every((key) => decodeKeyText(key, PUBLIC_KEY_BYTES) !== null) ? sorted : null;
}

/** One user's 30 digits. Null when a key is malformed or the user has no device. */
export function fingerprintDigits(owner: KeyOwner): string | null {
	const sorted = keySetOf(owner.signingKeys);
	if (sorted === null || sorted.length === 0) return null;
	const keys = concat(...sorted.map((key) => decodeKeyText(key, PUBLIC_KEY_BYTES) as Uint8Array));
	let digest = sha512(concat(VERSION, keys, new TextEncoder().encode(owner.userId)));
	for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) digest = sha512(concat(digest, keys));
	let digits = '';
	for (let chunk = 0; chunk < 6; chunk++) {
		let value = 0;
		// 5 bytes fit a double exactly (< 2^53).
		for (let i = 0; i < 5; i++) value = value * 256 + (digest[chunk * 5 + i] ?? 0);
		digits += String(value % 100_000).padStart(5, '0');
	}
	return digits;
}

/** The 60 digits both users see, or null when either has no valid key. */
export function safetyNumber(a: KeyOwner, b: KeyOwner): string | null {
	const first = fingerprintDigits(a);
	const second = fingerprintDigits(b);
	if (first === null || second === null) return null;
	return first < second ? first + second : second + first;
}

/** Twelve groups of five digits, as Signal shows them. */
export function safetyNumberGroups(number: string): string[] {
	return number.match(/\d{5}/g) ?? [];
}
