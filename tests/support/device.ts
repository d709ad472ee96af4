/**
 * A test device (docs/design.md "Device keys"): an Ed25519 signing pair and an X25519 pair,
 * registered through the real API like a browser registers its own.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { deviceProofBytes, encodeKeyText } from '../../src/lib/protocol/device-keys';
import type { ChatMessage, MessageChange, ReadMark } from '../../src/lib/protocol/schema';
import {
	changeSigningBytes,
	messageSigningBytes,
	reactionSigningBytes,
	readSigningBytes
} from '../../src/lib/protocol/signatures';
import { registeredClient, type ApiClient, type RegisteredClient } from './api';

export interface TestDeviceKeys {
	readonly signingKey: string;
	readonly agreementKey: string;
	readonly privateSigningKey: KeyObject;
	/** An Ed25519 signature by this device, base64url. */
	sign(data: Uint8Array): string;
}

export interface TestDevice extends TestDeviceKeys {
	readonly id: string;
}

/**
 * The keys are made by @noble/curves and only then turned into a Node KeyObject (for fast
 * signing). Not `generateKeyPairSync` + `export({ format: 'jwk' })`: on Node 20 that can deadlock
 * the process for good, when a garbage collection inside the export finalizes the key's own
 * generation job, which takes the lock the export holds (seen in gdb: `~KeyGenJob` waiting in
 * `ExportJWKEdKey`; the bench hung on it now and then).
 */
export function makeDeviceKeys(): TestDeviceKeys {
	const signing = ed25519.keygen();
	const agreement = x25519.keygen();
	const signingKey = encodeKeyText(signing.publicKey);
	const privateSigningKey = createPrivateKey({
		key: { kty: 'OKP', crv: 'Ed25519', x: signingKey, d: encodeKeyText(signing.secretKey) },
		format: 'jwk'
	});
	return {
		signingKey,
		agreementKey: encodeKeyText(agreement.publicKey),
		privateSigningKey,
		sign: (data) => encodeKeyText(sign(null, data, privateSigningKey))
	};
}

/** The POST /api/devices body for `keys`, signed for `userId`. */
export function registrationBody(userId: string, keys: TestDeviceKeys, name = 'test device') {
	return {
		name,
		signingKey: keys.signingKey,
		agreementKey: keys.agreementKey,
		proof: keys.sign(deviceProofBytes(userId, keys.signingKey, keys.agreementKey))
	};
}

/** Registers a fresh device for the client's user; throws unless the API answers 201. */
export async function registerTestDevice(
	client: ApiClient & { userId: string },
	name = 'test device'
): Promise<TestDevice> {
	const keys = makeDeviceKeys();
	const response = await client.post<{ device: { id: string } }>(
		'/api/devices',
		registrationBody(client.userId, keys, name)
	);
	if (response.status !== 201) {
		throw new Error(`device registration: ${response.status} ${JSON.stringify(response.body)}`);
	}
	return { ...keys, id: response.body.device.id };
}

/** A device that signs items: its id and its key (tests sign synchronously). */
export interface Signer {
	readonly id: string;
	sign(data: Uint8Array): string;
}

/** `message` with its author's signature for `roomId` (docs/design.md "Signed items"). */
export function signedMessage<M extends Omit<ChatMessage, 'signature'>>(
	signer: Signer,
	roomId: string,
	message: M
): M & { device: string; sig: string } {
	const sig = signer.sign(messageSigningBytes(roomId, message, signer.id));
	return { ...message, device: signer.id, sig };
}

/** A `changes` value (edit or delete of `messageId`, written by its `author`), signed. */
export function signedChange<C extends Omit<MessageChange, 'signature'>>(
	signer: Signer,
	roomId: string,
	messageId: string,
	author: string,
	change: C
): C & { device: string; sig: string } {
	const sig = signer.sign(changeSigningBytes(roomId, messageId, author, change, signer.id));
	return { ...change, device: signer.id, sig };
}

/** A `reactions` value for `key`, signed. */
export function signedReaction(signer: Signer, roomId: string, key: string, ts: number) {
	const sig = signer.sign(reactionSigningBytes(roomId, key, ts, signer.id));
	return { ts, device: signer.id, sig };
}

/** A `reads` value of `userId`, signed. */
export function signedRead(
	signer: Signer,
	roomId: string,
	userId: string,
	mark: Omit<ReadMark, 'signature'>
) {
	const sig = signer.sign(readSigningBytes(roomId, userId, mark, signer.id));
	return { ...mark, device: signer.id, sig };
}

/** A registered user whose sync clients sign what they write (connectAs passes `signer` on). */
export type SigningClient = RegisteredClient & { readonly signer: TestDevice };

/**
 * registeredClient with a registered device, as a browser has after its first page: the gate
 * refuses unsigned items by default (REQUIRE_SIGNATURES=1).
 */
export async function signingClient(
	...args: Parameters<typeof registeredClient>
): Promise<SigningClient> {
	const client = await registeredClient(...args);
	return Object.assign(client, { signer: await registerTestDevice(client) });
}
