/**
 * End-to-end encryption of encrypted rooms and DMs (docs/design.md, "Encrypted rooms"):
 * **sender keys** as in Signal's group messaging and Matrix's Megolm. Each device has, per
 * room, an outbound session: a random 32-byte chain key and an index. Message `i` is
 * encrypted with a key derived from the chain key at `i`; the chain then moves on
 * (HMAC-SHA256, the Signal Protocol's symmetric-key ratchet), so a key obtained at index `n`
 * opens messages `n, n+1, …` of that session and nothing before. The session (id, index,
 * chain key) is shared with every member device through a pairwise channel: X25519 with the
 * recipient device's published agreement key, HKDF-SHA256, XChaCha20-Poly1305, signed by the
 * sender device's Ed25519 key (the server relays the sealed share; it cannot open it).
 *
 * Primitives: @noble/hashes (HMAC, HKDF, SHA-256), @noble/ciphers (XChaCha20-Poly1305),
 * @noble/curves (X25519), all audited. Nothing here is a primitive of our own: only the
 * wiring, the domain separation strings and the encodings.
 *
 * Pure: the caller passes every random byte (session keys, nonces, ephemeral keys), so each
 * function is deterministic and runs alike in the browser and in Node.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';
import { MAX_PAYLOAD_BYTES } from './payload';
import { isEncryptedText } from './schema';

/** Bytes of a chain key, a message key and a session id. */
export const CHAIN_KEY_BYTES = 32;
export const SESSION_ID_BYTES = 16;
/** XChaCha20-Poly1305's nonce. */
export const NONCE_BYTES = 24;
/**
 * A session encrypts at most this many messages, then its device starts a new one (Megolm's
 * default rotation is 100 messages or a week). It also bounds the ratchet steps a reader
 * takes to reach a message.
 */
export const SESSION_MAX_MESSAGES = 100;
/** And lives at most this long. */
export const SESSION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const b64 = encodeBase64urlNoPadding;

function fromB64(text: string): Uint8Array | null {
	if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
	try {
		return decodeBase64urlIgnorePadding(text);
	} catch {
		return null;
	}
}

/** A session's id as text: 16 bytes of base64url (22 characters). */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** A sender key session's state at one index: what its owner keeps and what it shares. */
export interface SessionState {
	readonly sessionId: string;
	readonly index: number;
	readonly chainKey: Uint8Array;
}

/** A new outbound session from 48 random bytes (16 for the id, 32 for the chain key). */
export function createSession(random: Uint8Array): SessionState {
	if (random.length !== SESSION_ID_BYTES + CHAIN_KEY_BYTES) {
		throw new Error('createSession needs 48 random bytes');
	}
	return {
		sessionId: b64(random.slice(0, SESSION_ID_BYTES)),
		index: 0,
		chainKey: random.slice(SESSION_ID_BYTES)
	};
}

const MESSAGE_KEY_SEED = Uint8Array.of(1);
const CHAIN_KEY_SEED = Uint8Array.of(2);

/** One step of the chain: the next chain key (Signal's KDF chain). */
export function advance(state: SessionState): SessionState {
	return {
		sessionId: state.sessionId,
		index: state.index + 1,
		chainKey: hmac(sha256, state.chainKey, CHAIN_KEY_SEED)
	};
}

/** The state at `index` (>= state.index), or null when it is behind or too far ahead. */
export function ratchetTo(state: SessionState, index: number): SessionState | null {
	if (index < state.index || index - state.index > SESSION_MAX_MESSAGES * 10) return null;
	let current = state;
	while (current.index < index) current = advance(current);
	return current;
}

function messageKey(state: SessionState): Uint8Array {
	const seed = hmac(sha256, state.chainKey, MESSAGE_KEY_SEED);
	return hkdf(sha256, seed, undefined, encoder.encode('parley/sender-key/message/v1'), 32);
}

/** What an encrypted item is bound to: its room, kind, id and author (the AEAD's data). */
export interface ItemContext {
	readonly roomId: string;
	/** `message` or `change`: a ciphertext cannot move from one to the other. */
	readonly kind: 'message' | 'change';
	/** The message id (a change: the id of the message it changes). */
	readonly itemId: string;
	readonly author: string;
}

function associatedData(context: ItemContext, sessionId: string, index: number): Uint8Array {
	return encoder.encode(
		JSON.stringify([
			'parley/encrypted-item/v1',
			context.roomId,
			context.kind,
			context.itemId,
			context.author,
			sessionId,
			index
		])
	);
}

/**
 * Encrypts `plaintext` (a JSON payload's UTF-8) at the session's current index with a random
 * nonce; answers the item's `enc` text and the session moved on by one.
 */
export function encryptItem(
	state: SessionState,
	context: ItemContext,
	plaintext: Uint8Array,
	nonce: Uint8Array
): { enc: string; next: SessionState } {
	if (plaintext.length > MAX_PAYLOAD_BYTES) throw new Error('payload too large to encrypt');
	const cipher = xchacha20poly1305(
		messageKey(state),
		nonce,
		associatedData(context, state.sessionId, state.index)
	);
	const sealed = cipher.encrypt(plaintext);
	const body = new Uint8Array(nonce.length + sealed.length);
	body.set(nonce);
	body.set(sealed, nonce.length);
	return { enc: `m1.${state.sessionId}.${state.index}.${b64(body)}`, next: advance(state) };
}

/** The session and index an `enc` text names, or null when it is not one. */
export function parseEncrypted(
	enc: string
): { sessionId: string; index: number; body: Uint8Array } | null {
	if (!isEncryptedText(enc)) return null;
	const [, sessionId = '', index = '', body = ''] = enc.split('.');
	const bytes = fromB64(body);
	if (bytes === null || bytes.length < NONCE_BYTES + 16) return null;
	return { sessionId, index: Number(index), body: bytes };
}

export type Decrypted =
	| { readonly ok: true; readonly plaintext: Uint8Array }
	| { readonly ok: false; readonly reason: 'no-key' | 'malformed' | 'tampered' };

/**
 * Opens an `enc` text with an inbound session state (the earliest index this reader holds).
 * `no-key`: another session, or an index before the one the reader was given; `tampered`:
 * the ciphertext, its context or its index was changed.
 */
export function decryptItem(state: SessionState, context: ItemContext, enc: string): Decrypted {
	const parsed = parseEncrypted(enc);
	if (parsed === null) return { ok: false, reason: 'malformed' };
	if (parsed.sessionId !== state.sessionId) return { ok: false, reason: 'no-key' };
	const at = ratchetTo(state, parsed.index);
	if (at === null) return { ok: false, reason: 'no-key' };
	try {
		const cipher = xchacha20poly1305(
			messageKey(at),
			parsed.body.subarray(0, NONCE_BYTES),
			associatedData(context, parsed.sessionId, parsed.index)
		);
		return { ok: true, plaintext: cipher.decrypt(parsed.body.subarray(NONCE_BYTES)) };
	} catch {
		return { ok: false, reason: 'tampered' };
	}
}

/** What a sender shares with a member device: one session of one room, from an index on. */
export interface KeyShare {
	readonly roomId: string;
	readonly sessionId: string;
	readonly index: number;
	readonly chainKey: Uint8Array;
	/**
	 * A session forwarded between two devices of one user (a new device gets the history its
	 * other devices can read): the device and user that sent its messages. Absent: the sender
	 * of the share is the session's. A reader trusts it only from its own user's devices.
	 */
	readonly origin?: { readonly user: string; readonly device: string };
}

/** The devices at both ends of a sealed share, as the pairwise channel binds them. */
export interface ShareEnds {
	readonly fromDevice: string;
	readonly toDevice: string;
	/** The recipient device's X25519 public key (32 bytes). */
	readonly toAgreementKey: Uint8Array;
}

function shareKey(shared: Uint8Array, ephemeralPublic: Uint8Array, recipient: Uint8Array) {
	const salt = new Uint8Array(64);
	salt.set(ephemeralPublic);
	salt.set(recipient, 32);
	return hkdf(sha256, shared, salt, encoder.encode('parley/key-share/v1'), 32);
}

function shareData(fromDevice: string, toDevice: string): Uint8Array {
	return encoder.encode(JSON.stringify(['parley/key-share/v1', fromDevice, toDevice]));
}

/** The text of a sealed share: `k1.<ephemeral public key>.<nonce+ciphertext>`. */
export const SEALED_SHARE = /^k1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{40,2000}$/;

/**
 * Seals a share for one device: an ephemeral X25519 key (`ephemeralSecret`, 32 random bytes)
 * agreed with the recipient's agreement key, HKDF, XChaCha20-Poly1305 bound to both device ids.
 * The sender signs the answer with its device key (the to-device API carries that signature).
 */
export function sealShare(
	share: KeyShare,
	ends: ShareEnds,
	ephemeralSecret: Uint8Array,
	nonce: Uint8Array
): string {
	const ephemeralPublic = x25519.getPublicKey(ephemeralSecret);
	const shared = x25519.getSharedSecret(ephemeralSecret, ends.toAgreementKey);
	const plaintext = encoder.encode(
		JSON.stringify({
			room: share.roomId,
			session: share.sessionId,
			index: share.index,
			key: b64(share.chainKey),
			...(share.origin ? { ou: share.origin.user, od: share.origin.device } : {})
		})
	);
	const cipher = xchacha20poly1305(
		shareKey(shared, ephemeralPublic, ends.toAgreementKey),
		nonce,
		shareData(ends.fromDevice, ends.toDevice)
	);
	const sealed = cipher.encrypt(plaintext);
	const body = new Uint8Array(nonce.length + sealed.length);
	body.set(nonce);
	body.set(sealed, nonce.length);
	return `k1.${b64(ephemeralPublic)}.${b64(body)}`;
}

/** The bytes a sender device signs over a sealed share (the to-device message's `sig`). */
export function shareSigningBytes(
	fromDevice: string,
	toDevice: string,
	sealed: string
): Uint8Array {
	return encoder.encode(JSON.stringify(['parley/key-share-sig/v1', fromDevice, toDevice, sealed]));
}

/**
 * Opens a sealed share addressed to this device. `agree` is this device's X25519 agreement
 * with a public key (WebCrypto deriveBits or @noble/curves): the private key never leaves it.
 */
export async function openShare(
	sealed: string,
	ends: ShareEnds,
	agree: (publicKey: Uint8Array) => Promise<Uint8Array> | Uint8Array
): Promise<KeyShare | null> {
	if (!SEALED_SHARE.test(sealed)) return null;
	const [, ephemeralText = '', bodyText = ''] = sealed.split('.');
	const ephemeralPublic = fromB64(ephemeralText);
	const body = fromB64(bodyText);
	if (ephemeralPublic === null || ephemeralPublic.length !== 32) return null;
	if (body === null || body.length < NONCE_BYTES + 16) return null;
	try {
		const shared = await agree(ephemeralPublic);
		const cipher = xchacha20poly1305(
			shareKey(shared, ephemeralPublic, ends.toAgreementKey),
			body.subarray(0, NONCE_BYTES),
			shareData(ends.fromDevice, ends.toDevice)
		);
		const value: unknown = JSON.parse(decoder.decode(cipher.decrypt(body.subarray(NONCE_BYTES))));
		return parseShare(value);
	} catch {
		return null;
	}
}

function parseShare(value: unknown): KeyShare | null {
	if (typeof value !== 'object' || value === null) return null;
	const { room, session, index, key, ou, od } = value as Record<string, unknown>;
	if (typeof room !== 'string' || room.length < 1 || room.length > 255) return null;
	if (typeof session !== 'string' || !SESSION_ID.test(session)) return null;
	if (!Number.isSafeInteger(index) || (index as number) < 0) return null;
	const chainKey = typeof key === 'string' ? fromB64(key) : null;
	if (chainKey === null || chainKey.length !== CHAIN_KEY_BYTES) return null;
	const share = { roomId: room, sessionId: session, index: index as number, chainKey };
	if (ou === undefined && od === undefined) return share;
	if (typeof ou !== 'string' || ou.length < 1 || ou.length > 255) return null;
	if (typeof od !== 'string' || !/^[a-z2-7]{24}$/.test(od)) return null;
	return { ...share, origin: { user: ou, device: od } };
}
