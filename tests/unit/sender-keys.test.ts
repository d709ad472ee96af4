/**
 * Sender keys (src/lib/protocol/sender-keys.ts, docs/design.md "Encrypted rooms"): what one
 * device encrypts, every holder of the session opens from the shared index on; a share sealed
 * for one device opens only there; a changed byte, context or index fails that item alone; a
 * new session after a membership change cannot be opened with the old one's key.
 */
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { parseChange, parseMessage, READER_LIMITS } from '../../src/lib/protocol/schema';
import {
	createSession,
	decryptItem,
	encryptItem,
	openShare,
	ratchetTo,
	sealShare,
	type ItemContext,
	type SessionState
} from '../../src/lib/protocol/sender-keys';
import { decodePayload, encodePayload } from '../../src/lib/protocol/payload';
import { changeSigningBytes, messageSigningBytes } from '../../src/lib/protocol/signatures';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
const ROOM = 'room-1';
const context = (itemId: string, author = 'alice'): ItemContext => ({
	roomId: ROOM,
	kind: 'message',
	itemId,
	author
});
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function sendMany(session: SessionState, count: number) {
	const sent: { enc: string; itemId: string; text: string }[] = [];
	let state = session;
	for (let i = 0; i < count; i++) {
		const text = `message ${i} ${crypto.randomUUID()}`;
		const { enc, next } = encryptItem(state, context(id(i)), encodePayload({ text }), bytes(24));
		sent.push({ enc, itemId: id(i), text });
		state = next;
	}
	return { sent, state };
}

function nth<T>(list: readonly T[], i: number): T {
	const value = list[i];
	if (value === undefined) throw new Error(`no item ${i}`);
	return value;
}

function open(state: SessionState, itemId: string, enc: string) {
	const result = decryptItem(state, context(itemId), enc);
	return result.ok ? decodePayload(result.plaintext) : result.reason;
}

describe('sender key sessions', () => {
	it('a reader with the session from index 0 opens every message, in any order', () => {
		const session = createSession(bytes(48));
		const { sent } = sendMany(session, 5);
		for (const item of [...sent].reverse()) {
			expect(open(session, item.itemId, item.enc)).toEqual({ text: item.text });
		}
		// The ciphertext holds no plaintext.
		for (const item of sent) expect(item.enc).not.toContain(item.text.split(' ')[2]);
	});

	it('a key shared at index n opens n and later, never earlier messages', () => {
		const session = createSession(bytes(48));
		const { sent } = sendMany(session, 4);
		const fromTwo = ratchetTo(session, 2);
		if (fromTwo === null) throw new Error('ratchet');
		expect(open(fromTwo, nth(sent, 1).itemId, nth(sent, 1).enc)).toBe('no-key');
		expect(open(fromTwo, nth(sent, 2).itemId, nth(sent, 2).enc)).toEqual({
			text: nth(sent, 2).text
		});
		expect(open(fromTwo, nth(sent, 3).itemId, nth(sent, 3).enc)).toEqual({
			text: nth(sent, 3).text
		});
	});

	it('a tampered ciphertext, a moved item and a changed author fail that item only', () => {
		const session = createSession(bytes(48));
		const { sent } = sendMany(session, 3);
		const [head, body] = [nth(sent, 1).enc.slice(0, -10), nth(sent, 1).enc.slice(-10)];
		const flipped = head + (body[0] === 'A' ? 'B' : 'A') + body.slice(1);
		expect(open(session, nth(sent, 1).itemId, flipped)).toBe('tampered');
		expect(open(session, nth(sent, 2).itemId, nth(sent, 1).enc)).toBe('tampered');
		expect(decryptItem(session, context(nth(sent, 1).itemId, 'mallory'), nth(sent, 1).enc)).toEqual(
			{
				ok: false,
				reason: 'tampered'
			}
		);
		const edit = { ...context(nth(sent, 1).itemId), kind: 'change' as const };
		expect(decryptItem(session, edit, nth(sent, 1).enc)).toEqual({ ok: false, reason: 'tampered' });
		// Its neighbours still open.
		expect(open(session, nth(sent, 0).itemId, nth(sent, 0).enc)).toEqual({
			text: nth(sent, 0).text
		});
		expect(open(session, nth(sent, 2).itemId, nth(sent, 2).enc)).toEqual({
			text: nth(sent, 2).text
		});
		// An index rewritten in the header is refused by the AEAD's data.
		const moved = nth(sent, 2).enc.replace(/^(m1\.[^.]+\.)2\./, '$11.');
		expect(open(session, nth(sent, 2).itemId, moved)).toBe('tampered');
	});

	it('a new session (after a removal) is not opened with the previous session’s key', () => {
		const before = createSession(bytes(48));
		const after = createSession(bytes(48));
		const { sent } = sendMany(after, 1);
		expect(open(before, nth(sent, 0).itemId, nth(sent, 0).enc)).toBe('no-key');
		const forged = { ...before, sessionId: after.sessionId };
		expect(open(forged, nth(sent, 0).itemId, nth(sent, 0).enc)).toBe('tampered');
	});
});

describe('sealed key shares', () => {
	const alice = { device: 'aaaaaaaaaaaaaaaaaaaaaaaa' };
	const bobSecret = x25519.utils.randomSecretKey();
	const bob = { device: 'bbbbbbbbbbbbbbbbbbbbbbbb', publicKey: x25519.getPublicKey(bobSecret) };
	const ends = { fromDevice: alice.device, toDevice: bob.device, toAgreementKey: bob.publicKey };
	const agreeAsBob = (pub: Uint8Array) => x25519.getSharedSecret(bobSecret, pub);

	it('the recipient device opens the share and reads what the sender sent', async () => {
		const session = createSession(bytes(48));
		const sealed = sealShare(
			{ roomId: ROOM, sessionId: session.sessionId, index: 0, chainKey: session.chainKey },
			ends,
			bytes(32),
			bytes(24)
		);
		const share = await openShare(sealed, ends, agreeAsBob);
		expect(share).toEqual({
			roomId: ROOM,
			sessionId: session.sessionId,
			index: 0,
			chainKey: session.chainKey
		});
		const { sent } = sendMany(session, 1);
		if (share === null) throw new Error('share');
		expect(open({ ...share }, nth(sent, 0).itemId, nth(sent, 0).enc)).toEqual({
			text: nth(sent, 0).text
		});
	});

	it('another device, another claimed sender or a changed byte opens nothing', async () => {
		const session = createSession(bytes(48));
		const share = {
			roomId: ROOM,
			sessionId: session.sessionId,
			index: 0,
			chainKey: session.chainKey
		};
		const sealed = sealShare(share, ends, bytes(32), bytes(24));
		const eveSecret = x25519.utils.randomSecretKey();
		expect(await openShare(sealed, ends, (pub) => x25519.getSharedSecret(eveSecret, pub))).toBe(
			null
		);
		expect(
			await openShare(sealed, { ...ends, fromDevice: 'cccccccccccccccccccccccc' }, agreeAsBob)
		).toBe(null);
		const flipped = sealed.slice(0, -3) + (sealed.at(-3) === 'A' ? 'B' : 'A') + sealed.slice(-2);
		expect(await openShare(flipped, ends, agreeAsBob)).toBe(null);
		expect(await openShare('k1.nonsense', ends, agreeAsBob)).toBe(null);
	});
});

describe('encrypted items in the schema and the signatures', () => {
	const session = createSession(new Uint8Array(48).fill(7));
	const { enc } = encryptItem(session, context(id(1)), encodePayload({ text: 'hi' }), bytes(24));

	it('a message with enc has empty text; a change with enc has no text and is no delete', () => {
		const base = { id: id(1), author: 'alice', ts: Date.UTC(2026, 0, 1) };
		expect(parseMessage({ ...base, text: '', enc }, READER_LIMITS)).toMatchObject({ ok: true });
		expect(parseMessage({ ...base, text: 'hi', enc }, READER_LIMITS)).toMatchObject({ ok: false });
		expect(parseMessage({ ...base, text: '', enc: 'hi' }, READER_LIMITS)).toMatchObject({
			ok: false
		});
		expect(
			parseMessage({ ...base, text: '', enc: enc + 'A'.repeat(22_000) }, READER_LIMITS)
		).toMatchObject({ ok: false });
		expect(parseChange({ ts: base.ts, enc }, READER_LIMITS)).toMatchObject({ ok: true });
		expect(parseChange({ ts: base.ts, enc, text: 'x' }, READER_LIMITS)).toMatchObject({
			ok: false
		});
		expect(parseChange({ ts: base.ts, enc, deleted: true }, READER_LIMITS)).toMatchObject({
			ok: false
		});
	});

	it('signs the ciphertext under its own kind; the plain kinds are unchanged', () => {
		const message = { id: id(1), author: 'alice', text: '', ts: 1 };
		const plain = new TextDecoder().decode(messageSigningBytes(ROOM, message, 'd'));
		expect(plain).toBe(`["parley/message/v1","${ROOM}","${id(1)}","alice","d","",1,null,null]`);
		const sealed = new TextDecoder().decode(messageSigningBytes(ROOM, { ...message, enc }, 'd'));
		expect(sealed).toBe(
			`["parley/encrypted-message/v1","${ROOM}","${id(1)}","alice","d","${enc}",1,null,null]`
		);
		const edit = new TextDecoder().decode(
			changeSigningBytes(ROOM, id(1), 'alice', { ts: 2, enc }, 'd')
		);
		expect(edit).toBe(`["parley/encrypted-change/v1","${ROOM}","${id(1)}","alice","d","${enc}",2]`);
	});
});
