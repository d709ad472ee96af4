/**
 * Signing what this browser writes (docs/design.md, "Signed items"): every message, edit,
 * delete, reaction and read mark is signed by this device when it is written, offline too
 * (the key is local). The bytes come from src/lib/protocol/signatures.ts, the one place that
 * says what is signed.
 */
import type { ItemSignature } from '../protocol/schema';
import { encodeKeyText } from '../protocol/device-keys';
import { deviceKeysFor, signWithDevice } from './device-keys';

/** Signs an item's canonical bytes, which name the signing device. */
export interface ItemSigner {
	/**
	 * This device's signature of `bytes(deviceId)`, registered or not yet (keys made offline
	 * sign under their key's id, which the server gives them on registering); null only when
	 * the browser cannot keep keys at all: the item goes unsigned.
	 */
	sign(bytes: (deviceId: string) => Uint8Array): Promise<ItemSignature | null>;
}

/** The signer of `userId`'s items in this browser (its device keys, made on first use). */
export function deviceSigner(userId: string): ItemSigner {
	return {
		async sign(bytes) {
			const keys = await deviceKeysFor(userId).catch(() => null);
			if (keys === null) return null;
			const data = bytes(keys.deviceId);
			return { device: keys.deviceId, sig: encodeKeyText(await signWithDevice(keys, data)) };
		}
	};
}
