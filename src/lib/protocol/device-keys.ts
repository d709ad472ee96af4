/**
 * Device keys (docs/design.md, "Device keys"): what a browser publishes under its account and
 * how the server and every replica read it. A device is one browser profile; it holds an
 * Ed25519 signing key pair and an X25519 key-agreement key pair, and publishes the two public
 * keys, each 32 raw bytes written as unpadded base64url (43 characters).
 *
 * Registering proves possession: the device signs `deviceProofBytes(userId, signingKey,
 * agreementKey)` with its signing key, so nobody can publish a key they do not hold, nor one
 * device's keys under another account.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
	decodeBase64urlIgnorePadding,
	encodeBase32LowerCaseNoPadding,
	encodeBase64urlNoPadding
} from '@oslojs/encoding';

/** An Ed25519 or X25519 public key, in raw bytes. */
export const PUBLIC_KEY_BYTES = 32;
/** An Ed25519 signature, in raw bytes. */
export const SIGNATURE_BYTES = 64;
/** Active devices one account may have; removing one frees its place. */
export const MAX_DEVICES_PER_USER = 20;
/** A device's label ("Chromium on Linux"), as its browser names itself. */
export const MAX_DEVICE_NAME_CHARS = 80;

/** 32 bytes as unpadded base64url. */
export const PUBLIC_KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;
/** 64 bytes as unpadded base64url. */
export const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{86}$/;

/** A device as the API shows it (GET /api/devices, GET /api/users/<id>/devices). */
export interface PublishedDevice {
	readonly id: string;
	readonly name: string;
	/** Ed25519 public key, base64url. */
	readonly signingKey: string;
	/** X25519 public key, base64url. */
	readonly agreementKey: string;
	readonly createdAt: number;
}

/** What a browser sends to register itself (POST /api/devices). */
export interface DeviceRegistration {
	readonly name: string;
	readonly signingKey: string;
	readonly agreementKey: string;
	/** Ed25519 signature of deviceProofBytes, base64url. */
	readonly proof: string;
}

export function encodeKeyText(bytes: Uint8Array): string {
	return encodeBase64urlNoPadding(bytes);
}

/** The bytes of a key or signature text, or null if it is not `length` bytes of base64url. */
export function decodeKeyText(text: string, length: number): Uint8Array | null {
	const pattern = length === PUBLIC_KEY_BYTES ? PUBLIC_KEY_TEXT : SIGNATURE_TEXT;
	if (!pattern.test(text)) return null;
	try {
		const bytes = decodeBase64urlIgnorePadding(text);
		return bytes.length === length ? bytes : null;
	} catch {
		return null;
	}
}

/**
 * A device's id: the first 15 bytes of SHA-256 of its signing key's text, as lower-case base32
 * (24 characters `[a-z2-7]`, the format of every id). A browser knows its id as soon as it has
 * keys, so it signs offline, before it could register, with the id the server will give it, and
 * registering the same key twice names the same device.
 */
export function deviceIdOf(signingKey: string): string {
	const digest = sha256(new TextEncoder().encode(`parley device id v1\n${signingKey}`));
	return encodeBase32LowerCaseNoPadding(digest.subarray(0, 15));
}

/**
 * What a device signs when it registers: a domain-separated, newline-joined text (the parts
 * are an id and base64url keys, none of which holds a newline).
 */
export function deviceProofBytes(
	userId: string,
	signingKey: string,
	agreementKey: string
): Uint8Array {
	return new TextEncoder().encode(
		['parley device registration v1', userId, signingKey, agreementKey].join('\n')
	);
}
