/**
 * Signed items (docs/design.md, "Signed items"): a message, an edit or delete, a reaction and
 * a read mark carry `device` (the author's device id) and `sig`, the device's Ed25519
 * signature of the canonical bytes below. The bytes name the room, the kind of item and every
 * field a reader shows, so a signature can be moved neither to another room, nor to another
 * kind of item, nor to other text.
 *
 * Canonical encoding: the UTF-8 bytes of JSON.stringify of a fixed array (strings, integers,
 * null, booleans): ECMAScript fixes that output, so every engine produces the same bytes.
 */
import type { ChatMessage, MessageChange, ReadMark } from './schema';

const encoder = new TextEncoder();
const canonical = (parts: readonly unknown[]): Uint8Array => encoder.encode(JSON.stringify(parts));

/**
 * The bytes a message's author signs. An encrypted room's message (with `enc`) is signed as
 * kind `parley/encrypted-message/v1` over its ciphertext instead of its (empty) text: the
 * signature covers what is stored, so the gate and every replica check it without the key.
 */
export function messageSigningBytes(
	roomId: string,
	message: Omit<ChatMessage, 'signature'>,
	device: string
): Uint8Array {
	if (message.enc !== undefined) {
		return canonical([
			'parley/encrypted-message/v1',
			roomId,
			message.id,
			message.author,
			device,
			message.enc,
			message.ts,
			message.replyTo ?? null,
			message.files?.map((file) => [file.id, file.name, file.type, file.size]) ?? null
		]);
	}
	return canonical([
		'parley/message/v1',
		roomId,
		message.id,
		message.author,
		device,
		message.text,
		message.ts,
		message.replyTo ?? null,
		message.files?.map((file) => [file.id, file.name, file.type, file.size]) ?? null
	]);
}

/**
 * The bytes an edit or delete of message `messageId` (the `changes` key) is signed over; an
 * encrypted edit (with `enc`) as kind `parley/encrypted-change/v1` over its ciphertext.
 */
export function changeSigningBytes(
	roomId: string,
	messageId: string,
	author: string,
	change: Omit<MessageChange, 'signature'>,
	device: string
): Uint8Array {
	if (change.enc !== undefined) {
		return canonical([
			'parley/encrypted-change/v1',
			roomId,
			messageId,
			author,
			device,
			change.enc,
			change.ts
		]);
	}
	return canonical([
		'parley/change/v1',
		roomId,
		messageId,
		author,
		device,
		change.text ?? null,
		change.deleted === true,
		change.ts
	]);
}

/** The bytes a reaction (its `reactions` key, which names message, emoji and user) is signed over. */
export function reactionSigningBytes(
	roomId: string,
	key: string,
	ts: number,
	device: string
): Uint8Array {
	return canonical(['parley/reaction/v1', roomId, key, device, ts]);
}

/** The bytes a read mark of `userId` (its `reads` key) is signed over. */
export function readSigningBytes(
	roomId: string,
	userId: string,
	mark: Omit<ReadMark, 'signature'>,
	device: string
): Uint8Array {
	return canonical(['parley/read/v1', roomId, userId, device, mark.upTo, mark.ts]);
}
