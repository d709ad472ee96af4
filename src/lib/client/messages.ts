/**
 * The message objects of a room document (docs/design.md, "The room document"), read back
 * from a replica that any member's client may have written, and the checks on a draft.
 */

import {
	READER_LIMITS,
	parseChange as parseChangeValue,
	parseMessage as parseMessageValue,
	type ChatMessage,
	type ItemSignature,
	type MessageChange,
	type Reaction,
	type ReadMark
} from '../protocol/schema';

export type { ChatMessage, FileRef, ItemSignature, MessageChange } from '../protocol/schema';

/** The longest message text the server accepts by default (MAX_MESSAGE_CHARS). */
export const DEFAULT_MAX_MESSAGE_CHARS = 4000;

/**
 * A message as the UI may show it, or null for a value that does not have the schema
 * (src/lib/protocol/schema.ts). The gate refuses such values, but a replica from before a rule
 * existed, or written through an older server, may hold one.
 */
export function parseMessage(value: unknown): ChatMessage | null {
	const parsed = parseMessageValue(value, READER_LIMITS);
	return parsed.ok ? parsed.value : null;
}

/** A signed item's stored form carries its signature as two plain fields (`device`, `sig`). */
type Stored<T> = Omit<T, 'signature'> & { device?: string; sig?: string };

function withSignature<T extends object>(
	value: T,
	signature: ItemSignature | undefined
): T & { device?: string; sig?: string } {
	return signature === undefined
		? value
		: { ...value, device: signature.device, sig: signature.sig };
}

/**
 * The plain object written to `messages`: exactly the schema's fields, none undefined (the gate
 * refuses any other key or an undefined `replyTo`), the signature as `device` and `sig`.
 */
export function storedMessage(message: ChatMessage): Stored<ChatMessage> {
	const { id, author, text, ts, replyTo, files, enc } = message;
	const stored: { -readonly [K in keyof ChatMessage]: ChatMessage[K] } = { id, author, text, ts };
	if (replyTo !== undefined) stored.replyTo = replyTo;
	if (files !== undefined && files.length > 0) {
		stored.files = files.map(({ id, name, type, size }) => ({ id, name, type, size }));
	}
	if (enc !== undefined) stored.enc = enc;
	return withSignature(stored, message.signature);
}

/** The plain object written to `changes` (an edit or a delete). */
export function storedChange(change: MessageChange): Stored<MessageChange> {
	const { text, deleted, ts, enc } = change;
	const stored: { text?: string; deleted?: true; ts: number; enc?: string } = { ts };
	if (text !== undefined) stored.text = text;
	if (deleted === true) stored.deleted = true;
	if (enc !== undefined) stored.enc = enc;
	return withSignature(stored, change.signature);
}

/** The value written to `reactions`: the bare ts when unsigned (as before signatures). */
export function storedReaction(reaction: Reaction): number | Stored<Reaction> {
	return reaction.signature === undefined
		? reaction.ts
		: withSignature({ ts: reaction.ts }, reaction.signature);
}

/** The plain object written to `reads`. */
export function storedReadMark(mark: ReadMark): Stored<ReadMark> {
	return withSignature({ upTo: mark.upTo, ts: mark.ts }, mark.signature);
}

export type DraftCheck =
	| { readonly ok: true; readonly text: string }
	| { readonly ok: false; readonly reason: 'empty' }
	| {
			readonly ok: false;
			readonly reason: 'too-long';
			readonly length: number;
			readonly max: number;
	  };

/** Trims a draft and checks it against the message length limit. */
export function checkDraft(
	draft: string,
	maxChars: number = DEFAULT_MAX_MESSAGE_CHARS
): DraftCheck {
	const text = draft.trim();
	if (text.length === 0) return { ok: false, reason: 'empty' };
	if (text.length > maxChars)
		return { ok: false, reason: 'too-long', length: text.length, max: maxChars };
	return { ok: true, text };
}

/** Builds the object `send` appends to `messages`; `replyTo` names the message answered. */
export function newMessage(
	author: string,
	text: string,
	now: number = Date.now(),
	replyTo?: string
): ChatMessage {
	const message = { id: crypto.randomUUID(), author, text, ts: now };
	return replyTo === undefined ? message : { ...message, replyTo };
}

/** A `changes` value as the UI may use it, or null (the gate refuses other shapes). */
export function parseChange(value: unknown): MessageChange | null {
	const parsed = parseChangeValue(value, READER_LIMITS);
	return parsed.ok ? parsed.value : null;
}

/** The change an edit writes: the new text, keeping a delete (a delete is final). */
export function editedChange(
	previous: MessageChange | null,
	text: string,
	now: number = Date.now()
): MessageChange {
	return previous?.deleted ? { text, deleted: true, ts: now } : { text, ts: now };
}

/** The change a delete writes: no text is kept. */
export function deletedChange(now: number = Date.now()): MessageChange {
	return { deleted: true, ts: now };
}

/** What a message shows once its change applies: the latest text, "(edited)" or deleted. */
export interface DisplayedText {
	readonly text: string;
	readonly edited: boolean;
	readonly deleted: boolean;
}

export function displayedText(message: ChatMessage, change: MessageChange | null): DisplayedText {
	if (change?.deleted) return { text: '', edited: false, deleted: true };
	if (change?.text !== undefined) {
		return { text: change.text, edited: true, deleted: false };
	}
	return { text: message.text, edited: false, deleted: false };
}

/** A stable short label for a user whose name is unknown (e.g. while offline). */
export function shortId(userId: string): string {
	return userId.length > 8 ? `${userId.slice(0, 8)}…` : userId;
}
