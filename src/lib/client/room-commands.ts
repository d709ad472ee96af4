/**
 * What the user does to a room's document: send, edit, delete, react, mark read, and carry
 * unsent work into a new head. Every write goes through here and only makes changes the gate
 * accepts (docs/design.md, "The gate").
 */
import type * as Y from 'yjs';
import { writeUnsynced, type UnsyncedChanges } from './epochs';
import type { MessageView, RoomTypes } from './message-views';
import {
	checkDraft,
	deletedChange,
	editedChange,
	newMessage,
	parseChange,
	storedMessage,
	type ChatMessage,
	type MessageChange
} from './messages';
import { reactionKey } from './reactions';
import { parseReadMark, type ReadMark } from './receipts';
import type { ContentCodec } from './room-keys';

/** Writes of the user's own read mark are at most this frequent, in ms. */
export const MARK_READ_INTERVAL_MS = 1_000;

export type SendResult =
	| { readonly ok: true; readonly id: string }
	| { readonly ok: false; readonly error: string | null };

export type TextCheck =
	| { readonly ok: true; readonly text: string }
	| { readonly ok: false; readonly error: string | null };

export interface RoomCommandsOptions {
	readonly doc: Y.Doc;
	readonly types: RoomTypes;
	readonly userId: string;
	readonly maxMessageChars: number;
	/** The messages as the user sees them now (own, live messages may be edited). */
	readonly messages: () => readonly MessageView[];
	/** Before this browser's first message with a clientID (DeliveryLedger.addOwnClient). */
	readonly addOwnClient: (client: number) => void;
	/** Sending ends "typing". */
	readonly stopTyping: () => void;
	/**
	 * After the user toggled their reaction `key`: the ts value taken back, or null when set
	 * (recorded for a move to a new head: epochs.ts, `noteReactionRemoved`).
	 */
	readonly reactionToggled?: (key: string, removedTs: number | null) => void;
	/** A monotonic clock in ms, for the read-mark interval (performance.now). */
	readonly now?: () => number;
	/** An encrypted room's keys: messages and edits are sealed with them before they are written. */
	readonly codec?: ContentCodec;
}

export class RoomCommands {
	readonly #options: RoomCommandsOptions;
	#lastMarkMs = -Infinity;
	#markTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(options: RoomCommandsOptions) {
		this.#options = options;
	}

	/**
	 * Appends a message (a reply when `replyTo` is given); an empty draft is ignored, a too long
	 * one gives a visible error.
	 */
	send(draft: string, replyTo?: string): SendResult {
		const check = this.checkText(draft);
		if (!check.ok) return check;
		const message = newMessage(this.#options.userId, check.text, Date.now(), replyTo);
		this.push(message);
		return { ok: true, id: message.id };
	}

	/** The draft trimmed, or why it cannot be sent (null: nothing to say, it is empty). */
	checkText(draft: string): TextCheck {
		const check = checkDraft(draft, this.#options.maxMessageChars);
		if (check.ok) return check;
		if (check.reason === 'empty') return { ok: false, error: null };
		return {
			ok: false,
			error: `Message is too long: ${check.length.toLocaleString('en')} of at most ${check.max.toLocaleString('en')} characters.`
		};
	}

	/** Appends a message built elsewhere (the upload outbox's, with its files) by this user. */
	push(message: ChatMessage): void {
		const { doc, types, userId } = this.#options;
		if (message.author !== userId) return;
		this.#options.stopTyping();
		doc.transact(() => {
			// Recorded before the push: the message must read as pending from its first render.
			this.#options.addOwnClient(doc.clientID);
			const { codec } = this.#options;
			types.messages.push([storedMessage(codec ? codec.sealMessage(message) : message)]);
		});
	}

	/** Replaces the text of an own message (not a deleted one); an empty edit is refused. */
	edit(messageId: string, draft: string): SendResult {
		const message = this.#ownLiveMessage(messageId);
		if (!message) return { ok: false, error: 'Only your own messages can be edited.' };
		const check = this.checkText(draft);
		if (!check.ok)
			return check.error === null ? { ok: false, error: 'A message cannot be empty.' } : check;
		if (check.text === message.text) return { ok: true, id: messageId };
		const { doc, types } = this.#options;
		const edited = editedChange(parseChange(types.changes.get(messageId)), check.text);
		const { codec } = this.#options;
		const change = codec ? codec.sealEdit(messageId, edited) : edited;
		doc.transact(() => types.changes.set(messageId, change));
		return { ok: true, id: messageId };
	}

	/** Deletes an own message: a tombstone in `changes` (messages are never removed). */
	remove(messageId: string): boolean {
		if (!this.#ownLiveMessage(messageId)) return false;
		const { doc, types } = this.#options;
		const change: MessageChange = deletedChange();
		doc.transact(() => types.changes.set(messageId, change));
		return true;
	}

	/** Adds the user's reaction with this emoji, or takes it back if it is there. */
	toggleReaction(messageId: string, emoji: string): void {
		const message = this.#options.messages().find((m) => m.id === messageId);
		if (!message || message.deleted || message.unreadable) return;
		const { doc, types, userId } = this.#options;
		const key = reactionKey(messageId, emoji, userId);
		const current = types.reactions.get(key);
		doc.transact(() => {
			if (current !== undefined) types.reactions.delete(key);
			else types.reactions.set(key, Date.now());
		});
		this.#options.reactionToggled?.(key, typeof current === 'number' ? current : null);
	}

	/** The user's own read mark in the replica, or null. */
	ownReadMark(): ReadMark | null {
		return parseReadMark(this.#options.types.reads.get(this.#options.userId));
	}

	/**
	 * Records that the user has seen everything up to the last message, if `seesLatest()` says
	 * they do (the page: visible and scrolled to the end). Written only when it changes, at most
	 * once per MARK_READ_INTERVAL_MS; a call in between is retried at the end of the interval,
	 * asking `seesLatest` again then (the user may have scrolled away meanwhile).
	 */
	markRead(seesLatest: () => boolean): void {
		if (this.#markTimer !== null) return;
		const now = this.#options.now ?? (() => performance.now());
		const wait = this.#lastMarkMs + MARK_READ_INTERVAL_MS - now();
		if (wait > 0) {
			this.#markTimer = setTimeout(() => {
				this.#markTimer = null;
				this.markRead(seesLatest);
			}, wait);
			return;
		}
		if (!seesLatest()) return;
		// A placeholder has no message id to mark: the last message that has one.
		const last = this.#options.messages().findLast((message) => !message.unreadable);
		if (!last || this.ownReadMark()?.upTo === last.id) return;
		this.#lastMarkMs = now();
		const { doc, types, userId } = this.#options;
		const mark: ReadMark = { upTo: last.id, ts: Date.now() };
		doc.transact(() => types.reads.set(userId, mark));
	}

	/**
	 * Writes what an old epoch's replica held and the server never got (epochs.ts); leaves out
	 * what this replica holds already. Own messages go out pending, like new ones.
	 */
	absorb(unsynced: UnsyncedChanges): void {
		const { doc, types, userId } = this.#options;
		if (unsynced.userId !== userId) return;
		doc.transact(() => {
			if (unsynced.messages.length > 0) this.#options.addOwnClient(doc.clientID);
			writeUnsynced(types, unsynced);
		});
	}

	destroy(): void {
		if (this.#markTimer !== null) clearTimeout(this.#markTimer);
		this.#markTimer = null;
	}

	#ownLiveMessage(messageId: string): MessageView | null {
		const message = this.#options.messages().find((m) => m.id === messageId);
		if (!message || message.author !== this.#options.userId || message.deleted) return null;
		return message;
	}
}
