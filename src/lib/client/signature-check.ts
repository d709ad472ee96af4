/**
 * Any replica verifies who wrote what (docs/design.md, "Signed items"): a message's signature,
 * and its latest edit's, against its author's device keys (author-keys.ts), without trusting
 * the server that relayed it. Only what is on screen is checked, once per signature.
 */
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, decodeKeyText } from '../protocol/device-keys';
import type { ChatMessage, ItemSignature, MessageChange } from '../protocol/schema';
import { changeSigningBytes, messageSigningBytes } from '../protocol/signatures';
import type { AuthorKeys } from './author-keys';
import { nobleCurves } from './device-keys';

/**
 * - `verified`: signed by a device of its author (removed since or not).
 * - `unverified`: the signature does not verify, or names a device that is not the author's.
 * - `unsigned`: written before signatures (docs/design.md, the migration rule).
 * - `unknown`: the device's key cannot be fetched now (offline): nothing is claimed.
 */
export type Authenticity = 'verified' | 'unverified' | 'unsigned' | 'unknown';

/** Worst first: what a message shows when its parts differ. */
const SEVERITY: readonly Authenticity[] = ['unverified', 'unsigned', 'unknown', 'verified'];

/** Whether `sig` (base64url) is the Ed25519 signature of `data` by `key` (base64url). */
export async function verifySignature(
	key: string,
	data: Uint8Array,
	sig: string
): Promise<boolean> {
	const keyBytes = decodeKeyText(key, PUBLIC_KEY_BYTES);
	const sigBytes = decodeKeyText(sig, SIGNATURE_BYTES);
	if (keyBytes === null || sigBytes === null) return false;
	let publicKey: CryptoKey;
	try {
		publicKey = await crypto.subtle.importKey(
			'raw',
			keyBytes as BufferSource,
			{ name: 'Ed25519' },
			false,
			['verify']
		);
	} catch {
		// This browser's WebCrypto lacks Ed25519: the audited JavaScript implementation.
		return (await nobleCurves()).ed25519.verify(sigBytes, data, keyBytes);
	}
	return crypto.subtle.verify('Ed25519', publicKey, sigBytes as BufferSource, data as BufferSource);
}

export class SignatureCheck {
	readonly #keys: AuthorKeys;
	readonly #roomId: string;
	/** Settled verdicts (verified / unverified) by signature and signed bytes. */
	readonly #verdicts = new Map<string, Promise<Authenticity>>();

	constructor(keys: AuthorKeys, roomId: string) {
		this.#keys = keys;
		this.#roomId = roomId;
	}

	/** What a message (as written) and its latest edit or delete say about their author. */
	async message(original: ChatMessage, change: MessageChange | null): Promise<Authenticity> {
		const roomId = this.#roomId;
		const parts = [
			this.#item(original.author, original.signature, (device) =>
				messageSigningBytes(roomId, original, device)
			)
		];
		if (change !== null) {
			parts.push(
				this.#item(original.author, change.signature, (device) =>
					changeSigningBytes(roomId, original.id, original.author, change, device)
				)
			);
		}
		const verdicts = await Promise.all(parts);
		return SEVERITY.find((level) => verdicts.includes(level)) ?? 'verified';
	}

	#item(
		author: string,
		signature: ItemSignature | undefined,
		bytes: (device: string) => Uint8Array
	): Promise<Authenticity> {
		if (signature === undefined) return Promise.resolve('unsigned');
		const data = bytes(signature.device);
		const key = `${signature.sig}|${new TextDecoder().decode(data)}`;
		const known = this.#verdicts.get(key);
		if (known) return known;
		const verdict = this.#verify(author, signature, data);
		this.#verdicts.set(key, verdict);
		// "Unknown" is asked again (the key may be fetched once online).
		void verdict.then((result) => result === 'unknown' && this.#verdicts.delete(key));
		return verdict;
	}

	async #verify(author: string, signature: ItemSignature, data: Uint8Array): Promise<Authenticity> {
		const device = await this.#keys.device(author, signature.device);
		if (device === 'unknown') return 'unknown';
		if (device === 'missing') return 'unverified';
		return (await verifySignature(device.signingKey, data, signature.sig).catch(() => false))
			? 'verified'
			: 'unverified';
	}
}
