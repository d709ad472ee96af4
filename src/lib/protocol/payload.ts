/**
 * The plaintext of an encrypted message or edit (docs/design.md "Encrypted rooms"): UTF-8 JSON
 * of at most MAX_PAYLOAD_BYTES. Apart from the ciphers (sender-keys.ts) so that a plain room's
 * page can bound what it sends without loading them.
 */

/** The largest plaintext payload (UTF-8 JSON) of one message or edit. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The JSON payload of an encrypted message or edit, as UTF-8 bytes. */
export function encodePayload(payload: unknown): Uint8Array {
	return encoder.encode(JSON.stringify(payload));
}

/** The JSON value of a decrypted payload, or undefined when it is not UTF-8 JSON. */
export function decodePayload(bytes: Uint8Array): unknown {
	try {
		return JSON.parse(decoder.decode(bytes));
	} catch {
		return undefined;
	}
}
