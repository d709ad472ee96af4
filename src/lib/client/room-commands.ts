/**
 * What the user does to a room's document: send, edit, delete, react, mark read, and carry
 * unsent work into a new head. Every write goes through here and only makes changes the gate
 * accepts (docs/design.md, "The gate").
 *
 * With a signer, every value is signed by this device before it is written (docs/design.md,
 * "Signed items"). Signing is asynchronous (WebCrypto), so the writes wait in one queue, in
 * the order the user made them; the checks a caller needs an answer to happen at once.
 */
import type * as Y from 'yjs';
import {
	changeSigningBytes,
	messageSigningBytes,
	reactionSigningBytes,
	readSigningBytes
} from '../protocol/signatures';
import { writeUnsynced, type UnsyncedChanges } from './epochs';
import type { ItemSigner } from './item-signer';
import type { MessageView, RoomTypes } from './message-views';
import {
	checkDraft,
	deletedChange,
	editedChange,
	newMessage,
	parseChange,
	storedChange,
	storedMessage,
	storedReaction,
	storedReadMark,
	type ChatMessage,
	type ItemSignature,
	type MessageChange
} from './messages';
import { parseReaction, reactionKey } from './reactions';
import { parseReadMark, type ReadMark } from './receipts';
import type { ContentCodec } from './room-keys';
import type { FileKey } from '../protocol/file-crypto';

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
	/** The room the signatures name. */
	readonly roomId: string;
	/** Signs each value before it is written; absent: values are written unsigned, at once. */
	readonly signer?: ItemSigner;
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

/** A value ready to be signed: the bytes its signature covers, and how to write it then. */
interface SignedWrite {
	readonly bytes: (device: string) => Uint8Array;
	/** `signature` undefined: written unsigned (no signer, or no registered device yet). */
	readonly write: (signature: ItemSignature | undefined) => void;
}

/** `value` with `signature`, or as it is when there is none. */
function signed<T extends object>(
	value: T,
	signature: ItemSignature | undefined
): T & { signature?: ItemSignature } {
	return signature === undefined ? value : { ...value, signature };
}

export class RoomCommands {
	readonly #options: RoomCommandsOptions;
	#lastMarkMs = -Infinity;
	#markTimer: ReturnType<typeof setTimeout> | null = null;
	#writes: Promise<void> = Promise.resolve();
	/** Writes queued and not yet in the document. */
	#queued = 0;

	constructor(options: RoomCommandsOptions) {
		this.#options = options;
	}

	/** Resolves once every write asked for so far is in the document. */
	settled(): Promise<void> {
		return this.#writes;
	}

	/** Whether writes are queued and not yet in the document (being signed). */
	get busy(): boolean {
		return this.#queued > 0;
	}

	/**
	 * Runs `prepare` after the writes before it; what it returns is signed, then written.
	 * `prepare` returns null when it wrote already (nothing to sign). Without a signer all of
	 * it runs now, unless earlier writes still wait.
	 */
	#enqueue(prepare: () => SignedWrite | null): void {
		const { signer } = this.#options;
		const run = (): Promise<void> | void => {
			const prepared = prepare();
			if (prepared === null) return;
			if (signer === undefined) return prepared.write(undefined);
			return signer
				.sign(prepared.bytes)
				.then((signature) => prepared.write(signature ?? undefined));
		};
		if (signer === undefined && this.#queued === 0) {
			void run();
			return;
		}
		this.#queued++;
		this.#writes = this.#writes
			.then(run)
			.catch((error: unknown) => console.error('Parley: a write failed', error))
			.finally(() => this.#queued--);
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

	/**
	 * Appends a message built elsewhere (the upload outbox's, with its files) by this user.
	 * `fileKeys`: an encrypted room's attachments, sealed into the payload with the text.
	 */
	push(message: ChatMessage, fileKeys?: readonly FileKey[]): void {
		const { doc, types, userId, roomId } = this.#options;
		if (message.author !== userId) return;
		this.#options.stopTyping();
		const { signature: given, ...unsigned } = message;
		this.#enqueue(() => {
			// An encrypted room's text is sealed in the queue's order (the session's ratchet
			// moves on), then the sealed value is what is signed and stored.
			const { codec } = this.#options;
			const sealed =
				codec && unsigned.enc === undefined ? codec.sealMessage(unsigned, fileKeys) : unsigned;
			return {
				bytes: (device) => messageSigningBytes(roomId, sealed, device),
				write: (signature) =>
					doc.transact(() => {
						// Recorded before the push: the message must read as pending from its first render.
						this.#options.addOwnClient(doc.clientID);
						types.messages.push([storedMessage(signed(sealed, signature ?? given))]);
					})
			};
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
		this.#writeChange(messageId, () => {
			const edited = editedChange(
				parseChange(this.#options.types.changes.get(messageId)),
				check.text
			);
			const { codec } = this.#options;
			return codec ? codec.sealEdit(messageId, edited) : edited;
		});
		return { ok: true, id: messageId };
	}

	/** Deletes an own message: a tombstone in `changes` (messages are never removed). */
	remove(messageId: string): boolean {
		if (!this.#ownLiveMessage(messageId)) return false;
		this.#writeChange(messageId, () => deletedChange());
		return true;
	}

	/** Writes the change `make` builds (when its turn comes: after earlier edits), signed. */
	#writeChange(messageId: string, make: () => MessageChange): void {
		const { doc, types, userId, roomId } = this.#options;
		this.#enqueue(() => {
			const change = make();
			return {
				bytes: (device) => changeSigningBytes(roomId, messageId, userId, change, device),
				write: (signature) =>
					doc.transact(() => types.changes.set(messageId, storedChange(signed(change, signature))))
			};
		});
	}

	/** Adds the user's reaction with this emoji, or takes it back if it is there. */
	toggleReaction(messageId: string, emoji: string): void {
		const message = this.#options.messages().find((m) => m.id === messageId);
		if (!message || message.deleted || message.unreadable) return;
		const { doc, types, userId, roomId } = this.#options;
		const key = reactionKey(messageId, emoji, userId);
		this.#enqueue(() => {
			// Decided in turn: a second click while the first is being signed takes it back.
			const current = types.reactions.get(key);
			if (current !== undefined) {
				doc.transact(() => types.reactions.delete(key));
				this.#options.reactionToggled?.(key, parseReaction(current)?.ts ?? null);
				return null;
			}
			const ts = Date.now();
			return {
				bytes: (device) => reactionSigningBytes(roomId, key, ts, device),
				write: (signature) => {
					doc.transact(() => types.reactions.set(key, storedReaction(signed({ ts }, signature))));
					this.#options.reactionToggled?.(key, null);
				}
			};
		});
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
		const { doc, types, userId, roomId } = this.#options;
		const mark: ReadMark = { upTo: last.id, ts: Date.now() };
		this.#enqueue(() => ({
			bytes: (device) => readSigningBytes(roomId, userId, mark, device),
			write: (signature) =>
				doc.transact(() => types.reads.set(userId, storedReadMark(signed(mark, signature))))
		}));
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
