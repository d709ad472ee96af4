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

/** One signed part of a message: who signed it, and the bytes the signature covers. */
interface Part {
	readonly author: string;
	readonly signature: ItemSignature | undefined;
	readonly bytes: (device: string) => Uint8Array;
}

const utf8 = new TextDecoder();

/** A verdict's key: the signature and the bytes it signs (the same signature on other bytes is another). */
function verdictKey(signature: ItemSignature, data: Uint8Array): string {
	return `${signature.sig}|${utf8.decode(data)}`;
}

function worst(verdicts: readonly Authenticity[]): Authenticity {
	return SEVERITY.find((level) => verdicts.includes(level)) ?? 'verified';
}

export class SignatureCheck {
	readonly #keys: Pick<AuthorKeys, 'device'>;
	readonly #roomId: string;
	/** Verdicts asked for, by signature and signed bytes ("unknown" ones are asked again). */
	readonly #verdicts = new Map<string, Promise<Authenticity>>();
	/** The same verdicts once they are in (verified / unverified): `settled` answers from them. */
	readonly #settled = new Map<string, Authenticity>();

	constructor(keys: Pick<AuthorKeys, 'device'>, roomId: string) {
		this.#keys = keys;
		this.#roomId = roomId;
	}

	/** What a message (as written) and its latest edit or delete say about their author. */
	async message(original: ChatMessage, change: MessageChange | null): Promise<Authenticity> {
		return worst(await Promise.all(this.#parts(original, change).map((part) => this.#item(part))));
	}

	/**
	 * `message`'s answer when it is known without waiting: the parts are unsigned, or their
	 * signatures were checked on this page. Null: only `message` can tell. A message shown
	 * again (the log's window moved, a re-render) or unsigned is drawn once with its verdict,
	 * instead of drawn and then changed when a promise settles.
	 */
	settled(original: ChatMessage, change: MessageChange | null): Authenticity | null {
		const verdicts: Authenticity[] = [];
		for (const part of this.#parts(original, change)) {
			const verdict =
				part.signature === undefined
					? 'unsigned'
					: this.#settled.get(verdictKey(part.signature, part.bytes(part.signature.device)));
			if (verdict === undefined) return null;
			verdicts.push(verdict);
		}
		return worst(verdicts);
	}

	#parts(original: ChatMessage, change: MessageChange | null): Part[] {
		const roomId = this.#roomId;
		const { author } = original;
		const parts: Part[] = [
			{
				author,
				signature: original.signature,
				bytes: (device) => messageSigningBytes(roomId, original, device)
			}
		];
		if (change !== null) {
			parts.push({
				author,
				signature: change.signature,
				bytes: (device) => changeSigningBytes(roomId, original.id, author, change, device)
			});
		}
		return parts;
	}

	#item({ author, signature, bytes }: Part): Promise<Authenticity> {
		if (signature === undefined) return Promise.resolve('unsigned');
		const data = bytes(signature.device);
		const key = verdictKey(signature, data);
		const known = this.#verdicts.get(key);
		if (known) return known;
		const verdict = this.#verify(author, signature, data);
		this.#verdicts.set(key, verdict);
		void verdict.then((result) => {
			// "Unknown" is asked again (the key may be fetched once online).
			if (result === 'unknown') this.#verdicts.delete(key);
			else this.#settled.set(key, result);
		});
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
