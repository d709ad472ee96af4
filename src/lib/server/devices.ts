/**
 * Device keys (docs/design.md, "Device keys"): registering a browser's public keys under its
 * account (with a proof that it holds the signing key), listing and removing devices.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
	MAX_DEVICES_PER_USER,
	PUBLIC_KEY_BYTES,
	SIGNATURE_BYTES,
	decodeKeyText,
	deviceIdOf,
	deviceProofBytes,
	type PublishedDevice
} from '../protocol/device-keys';
import type { RegisterDeviceInput } from './schemas';
import type { Device, DeviceStorage } from './storage/types';

export type DeviceFailure = 'bad-proof' | 'too-many-devices' | 'key-in-use';

export type RegisterDeviceResult =
	/** `created: false` when this user had registered the key already (a repeated request). */
	| { readonly ok: true; readonly device: PublishedDevice; readonly created: boolean }
	| { readonly ok: false; readonly reason: DeviceFailure };

/** An Ed25519 public key (base64url text) as Node's crypto takes it, or null if malformed. */
export function ed25519PublicKey(keyText: string): KeyObject | null {
	if (decodeKeyText(keyText, PUBLIC_KEY_BYTES) === null) return null;
	try {
		return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keyText }, format: 'jwk' });
	} catch {
		return null;
	}
}

/** Whether `signature` (base64url) is `key`'s Ed25519 signature of `data`. */
export function verifyEd25519(key: KeyObject, data: Uint8Array, signature: string): boolean {
	const bytes = decodeKeyText(signature, SIGNATURE_BYTES);
	return bytes !== null && verify(null, data, key, bytes);
}

/**
 * A device as the gate checks signatures with it (sync-server/gate.ts `SigningDevice`): its
 * key parsed once. Null if the stored key is not an Ed25519 key (never, for a registered one).
 */
export function signingDevice(device: Device): {
	readonly userId: string;
	readonly removed: boolean;
	verify(bytes: Uint8Array, sig: string): boolean;
} | null {
	const key = ed25519PublicKey(device.signingKey);
	if (key === null) return null;
	return {
		userId: device.userId,
		removed: device.removedAt !== null,
		verify: (bytes, sig) => verifyEd25519(key, bytes, sig)
	};
}

export function publishedDevice(device: Device): PublishedDevice {
	return {
		id: device.id,
		name: device.name,
		signingKey: device.signingKey,
		agreementKey: device.agreementKey,
		createdAt: device.createdAt
	};
}

/**
 * Registers the caller's browser as a device of `userId`, if it proves it holds the key. The id
 * is the key's (`deviceIdOf`), so registering is idempotent: a browser whose first answer was
 * lost (the page closed, the network dropped) asks again and gets the same device, which it
 * may already have signed with. A key another account holds, or one of a removed device, is
 * refused (`key-in-use`): a removed device stays removed.
 */
export async function registerDevice(
	devices: DeviceStorage,
	userId: string,
	input: RegisterDeviceInput,
	now: number
): Promise<RegisterDeviceResult> {
	const key = ed25519PublicKey(input.signingKey);
	const proof = deviceProofBytes(userId, input.signingKey, input.agreementKey);
	if (key === null || !verifyEd25519(key, proof, input.proof)) {
		return { ok: false, reason: 'bad-proof' };
	}
	const id = deviceIdOf(input.signingKey);
	const already = async (): Promise<RegisterDeviceResult | null> => {
		const known = await devices.get(id);
		if (known === null) return null;
		if (known.userId !== userId || known.removedAt !== null) {
			return { ok: false, reason: 'key-in-use' };
		}
		return { ok: true, device: publishedDevice(known), created: false };
	};
	const before = await already();
	if (before) return before;
	const device: Omit<Device, 'removedAt'> = {
		id,
		userId,
		name: input.name,
		signingKey: input.signingKey,
		agreementKey: input.agreementKey,
		createdAt: now
	};
	const outcome = await devices.register(device, MAX_DEVICES_PER_USER);
	if (!outcome.ok) {
		// Two requests for one key at once: the other one registered it.
		return (outcome.reason === 'key-in-use' ? await already() : null) ?? outcome;
	}
	return { ok: true, device: publishedDevice({ ...device, removedAt: null }), created: true };
}

/** The user's active devices as the API shows them, oldest first. */
export async function listDevices(
	devices: DeviceStorage,
	userId: string
): Promise<PublishedDevice[]> {
	return (await devices.listOfUser(userId)).map(publishedDevice);
}
