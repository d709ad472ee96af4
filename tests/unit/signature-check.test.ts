import { describe, expect, it } from 'vitest';
import type { DeviceLookup } from '../../src/lib/client/author-keys';
import { SignatureCheck } from '../../src/lib/client/signature-check';
import type { ChatMessage, MessageChange } from '../../src/lib/protocol/schema';
import { changeSigningBytes, messageSigningBytes } from '../../src/lib/protocol/signatures';
import { makeDeviceKeys } from '../support/device';
import { messageId } from '../support/messages';

const ROOM = 'room1';
const DEVICE = 'abcdefghijklmnopqrstuvwx';
const keys = makeDeviceKeys();

/** An author key store that knows alice's one device, or cannot be reached (offline). */
function authorKeys(reachable = true) {
	const asked: string[] = [];
	return {
		asked,
		async device(userId: string, deviceId: string): Promise<DeviceLookup> {
			asked.push(`${userId}/${deviceId}`);
			if (!reachable) return 'unknown';
			if (userId !== 'alice' || deviceId !== DEVICE) return 'missing';
			return {
				id: DEVICE,
				name: 'laptop',
				signingKey: keys.signingKey,
				createdAt: 1,
				removed: false
			};
		}
	};
}

function signed(message: Omit<ChatMessage, 'signature'>): ChatMessage {
	const sig = keys.sign(messageSigningBytes(ROOM, message, DEVICE));
	return { ...message, signature: { device: DEVICE, sig } };
}

function signedEdit(
	original: ChatMessage,
	change: Omit<MessageChange, 'signature'>
): MessageChange {
	const bytes = changeSigningBytes(ROOM, original.id, original.author, change, DEVICE);
	return { ...change, signature: { device: DEVICE, sig: keys.sign(bytes) } };
}

const plain: ChatMessage = { id: messageId('m1'), author: 'alice', text: 'hi', ts: 1 };

describe('SignatureCheck.settled: a verdict known without waiting', () => {
	it('is "unsigned" at once for an unsigned message, asking no one for keys', () => {
		const store = authorKeys();
		const check = new SignatureCheck(store, ROOM);
		expect(check.settled(plain, null)).toBe('unsigned');
		expect(store.asked).toEqual([]);
	});

	it('is unknown (null) for a signature not checked yet, and the check’s verdict after it', async () => {
		const check = new SignatureCheck(authorKeys(), ROOM);
		const message = signed({ id: messageId('m2'), author: 'alice', text: 'signed', ts: 2 });
		expect(check.settled(message, null)).toBeNull();
		expect(await check.message(message, null)).toBe('verified');
		expect(check.settled(message, null)).toBe('verified');
	});

	it('keeps a failed signature failed, and does not carry a verdict over to other bytes', async () => {
		const check = new SignatureCheck(authorKeys(), ROOM);
		const message = signed({ id: messageId('m3'), author: 'alice', text: 'mine', ts: 3 });
		const forged: ChatMessage = { ...message, text: 'not what alice signed' };
		expect(await check.message(forged, null)).toBe('unverified');
		expect(check.settled(forged, null)).toBe('unverified');
		// The same signature on the bytes it does sign is another verdict, not checked yet.
		expect(check.settled(message, null)).toBeNull();
	});

	it('waits for an edit’s own signature, and gives the worst of message and edit', async () => {
		const check = new SignatureCheck(authorKeys(), ROOM);
		const message = signed({ id: messageId('m4'), author: 'alice', text: 'v1', ts: 4 });
		await check.message(message, null);
		const edit = signedEdit(message, { text: 'v2', ts: 5 });
		expect(check.settled(message, edit)).toBeNull();
		expect(await check.message(message, edit)).toBe('verified');
		expect(check.settled(message, edit)).toBe('verified');
		expect(check.settled(message, { text: 'v3', ts: 6 })).toBe('unsigned');
	});

	it('does not settle what could not be checked (keys unreachable): it is asked again', async () => {
		const store = authorKeys(false);
		const check = new SignatureCheck(store, ROOM);
		const message = signed({ id: messageId('m5'), author: 'alice', text: 'offline', ts: 7 });
		expect(await check.message(message, null)).toBe('unknown');
		expect(check.settled(message, null)).toBeNull();
		await check.message(message, null);
		expect(store.asked).toHaveLength(2);
	});
});
