/**
 * An encrypted message's attachments (docs/design.md "Encrypted rooms", files): the payload
 * `{ text, files }` carries each file's name, type, size and key inside the sender-key
 * ciphertext; a reader gets them on the message's view, an old `{ text }` payload still reads,
 * and one bad entry leaves only its own attachment without a key.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { EMPTY_DELIVERY_STATE } from '../../src/lib/client/delivery';
import { MessageViews, roomTypesOf } from '../../src/lib/client/message-views';
import { storedMessage } from '../../src/lib/client/messages';
import { openedPayload, type ContentCodec } from '../../src/lib/client/room-keys';
import { encryptFile, type FileKey } from '../../src/lib/protocol/file-crypto';
import type { ChatMessage } from '../../src/lib/protocol/schema';
import {
	createSession,
	decryptItem,
	encryptItem,
	type SessionState
} from '../../src/lib/protocol/sender-keys';
import { decodePayload, encodePayload } from '../../src/lib/protocol/payload';

const ROOM = 'room-1';
const ALICE = 'alice';

async function fileKey(id: string, name: string): Promise<FileKey> {
	const sealed = await encryptFile(
		new Uint8Array(randomBytes(32)),
		new Uint8Array(randomBytes(32)),
		new Uint8Array(randomBytes(12))
	);
	return {
		id,
		name,
		type: 'image/png',
		size: 32,
		key: sealed.key,
		nonce: sealed.nonce,
		sha256: sealed.sha256
	};
}

/** A codec over one real sender-key session, opening payloads as RoomKeys does. */
function sessionCodec(): ContentCodec {
	let state: SessionState = createSession(new Uint8Array(randomBytes(48)));
	const start = state;
	const context = (message: ChatMessage) =>
		({ roomId: ROOM, kind: 'message', itemId: message.id, author: message.author }) as const;
	return {
		version: 0,
		sealMessage(message, files) {
			const payload = files ? { text: message.text, files } : { text: message.text };
			const sealed = encryptItem(
				state,
				context(message),
				encodePayload(payload),
				new Uint8Array(randomBytes(24))
			);
			state = sealed.next;
			return { ...message, text: '', enc: sealed.enc };
		},
		sealEdit: (_id, change) => change,
		openMessage(message) {
			const opened = decryptItem(start, context(message), message.enc ?? '');
			if (!opened.ok) return { ok: false, reason: 'tampered' };
			const value = openedPayload(decodePayload(opened.plaintext), 'message');
			return value === null ? { ok: false, reason: 'tampered' } : { ok: true, value };
		},
		openChange: () => ({ ok: false, reason: 'no-key' })
	};
}

describe('the payload of an encrypted message with files', () => {
	it('reads { text } and { text, files }, leaving a bad entry out alone', async () => {
		const good = await fileKey('abcdefghijklmnopqrstuvwx', 'a.png');
		expect(openedPayload({ text: 'hi' }, 'message')).toEqual({ text: 'hi' });
		expect(openedPayload({ text: 'hi', files: [good, { ...good, key: 'x' }] }, 'message')).toEqual({
			text: 'hi',
			files: [good]
		});
		// An edit's payload never brings files.
		expect(openedPayload({ text: 'hi', files: [good] }, 'change')).toEqual({ text: 'hi' });
		for (const bad of [null, 'hi', { files: [good] }, { text: 3 }]) {
			expect(openedPayload(bad, 'message')).toBeNull();
		}
	});

	it('puts each file’s name and key on the view, and nothing of them in the stored message', async () => {
		const codec = sessionCodec();
		const doc = new Y.Doc();
		const room = roomTypesOf(doc);
		const secretName = `holiday-${randomBytes(6).toString('hex')}.png`;
		const keys = [
			await fileKey('abcdefghijklmnopqrstuvwx', secretName),
			await fileKey('bcdefghijklmnopqrstuvwxy', 'second.png')
		];
		const opaque = keys.map((key) => ({
			id: key.id,
			name: 'encrypted',
			type: 'application/octet-stream',
			size: key.size + 24
		}));
		const withFiles = codec.sealMessage(
			{ id: crypto.randomUUID(), author: ALICE, text: 'look', ts: Date.now(), files: opaque },
			keys
		);
		const plain = codec.sealMessage({
			id: crypto.randomUUID(),
			author: ALICE,
			text: 'no files',
			ts: Date.now()
		});
		room.messages.push([storedMessage(withFiles), storedMessage(plain)]);
		expect(JSON.stringify(room.messages.toJSON())).not.toContain(secretName);

		const views = new MessageViews(ALICE, codec);
		const first = views.derive(room, EMPTY_DELIVERY_STATE).views;
		expect(first[0]?.text).toBe('look');
		expect(first[0]?.files).toEqual(opaque);
		expect(first[0]?.fileKeys).toEqual(keys);
		expect(first[1]?.text).toBe('no files');
		expect(first[1]?.fileKeys).toBeUndefined();
		// Unchanged, the same view objects come back (the page re-renders nothing).
		const again = views.derive(room, EMPTY_DELIVERY_STATE).views;
		expect(again[0]).toBe(first[0]);
	});
});
