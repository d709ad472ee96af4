/**
 * The messages a room page shows, derived from the room document: each message with its latest
 * text, reactions, quoted original and receipt. A long room holds tens of thousands of
 * messages and this runs on every change, so the work is kept incremental: each stored value
 * is parsed once (cached by the value object, which Yjs keeps for the life of its item), the
 * position index only grows when messages were appended, and a message whose view did not
 * change keeps the same object (so the page re-renders only what changed).
 *
 * Messages of sealed history segments (`older`, docs/design.md "History segments") come before
 * the head's, and get the head's `changes`, `reactions` and read marks like its own messages.
 */
import type * as Y from 'yjs';
import { ROOT } from '../protocol/schema';
import { deliveryOf, type DeliveryState } from './delivery';
import {
	displayedText,
	parseChange,
	parseMessage,
	type ChatMessage,
	type MessageChange
} from './messages';
import {
	messageInfo,
	parseReadMark,
	reachOf,
	receiptOf,
	type InfoRow,
	type ReadMark,
	type Receipt,
	type Recipient
} from './receipts';
import { summarizeReactions, type ReactionSummary } from './reactions';
import { quoteOf, type QuotedSource, type ReplyQuote } from './replies';
import type { ContentCodec, LockReason } from './room-keys';
import type { FileKey } from '../protocol/file-crypto';

export interface MessageView extends ChatMessage {
	/**
	 * A stored value without the message schema (src/lib/protocol/schema.ts): shown as the
	 * placeholder "Message can't be shown" in its place. Its `id` is local (not a message id,
	 * never written anywhere), its author empty and nothing may be done with it.
	 */
	readonly unreadable: boolean;
	/** Pending, sent, delivered or read, for the user's own messages; null for everyone else's. */
	readonly receipt: Receipt | null;
	/** `text` is the latest edit's; true when there was one. */
	readonly edited: boolean;
	/** Deleted by its author: `text` is empty and nothing may be done with it. */
	readonly deleted: boolean;
	/** Reaction chips, in the order they first appeared. */
	readonly reactions: readonly ReactionSummary[];
	/** The quoted original of a reply (`replyTo`), or null for a message that answers nothing. */
	readonly quote: ReplyQuote | null;
	/**
	 * The message as its author wrote and signed it (`text` above may be an edit's), or null for
	 * a placeholder; and its latest edit or delete. Their signatures are checked by
	 * signature-check.ts, for what is on screen only.
	 */
	readonly original: ChatMessage | null;
	readonly change: MessageChange | null;

	/**
	 * An encrypted room's message this device cannot open (docs/design.md "Encrypted rooms"):
	 * no key for it yet, or its ciphertext fails authentication. Absent when it is shown.
	 */
	readonly locked?: LockReason;
	/**
	 * An encrypted message's attachments as its payload names them (real name, type, size, key),
	 * by upload id; absent for a plain message. A file of `files` without an entry here cannot
	 * be opened ("Can't decrypt this file").
	 */
	readonly fileKeys?: readonly FileKey[];
}

/** The shared types of a room document that the views are derived from. */
export interface RoomTypes {
	readonly messages: Y.Array<unknown>;
	readonly reads: Y.Map<unknown>;
	readonly changes: Y.Map<unknown>;
	readonly reactions: Y.Map<unknown>;
}

/** The room document's four roots (src/lib/protocol/schema.ts, docs/design.md "The room document"). */
export function roomTypesOf(doc: Y.Doc): RoomTypes {
	return {
		messages: doc.getArray(ROOT.messages),
		reads: doc.getMap(ROOT.reads),
		changes: doc.getMap(ROOT.changes),
		reactions: doc.getMap(ROOT.reactions)
	};
}

export interface DerivedMessages {
	readonly views: readonly MessageView[];
	/** The user's own messages not yet stored on the server. */
	readonly pending: number;
	/** How many of `views` are sealed messages (in front of the head's). */
	readonly older: number;
}

/**
 * One stored value, parsed once: where it sits in the document and its last view. `message` is
 * null for a value without the schema (its view is the placeholder).
 */
interface Entry {
	readonly message: ChatMessage | null;
	/** The id of the struct holding the value (see delivery.ts); SEALED for a segment's message. */
	readonly client: number;
	readonly clock: number;
	view: MessageView | null;
}

/** The client of a sealed message: no Yjs clientID (uint32), so never one this browser wrote with. */
const SEALED = -1;

const NO_OLDER: readonly ChatMessage[] = Object.freeze([]);

/** Shared, so that "no reactions" compares equal from one derivation to the next. */
const NO_REACTIONS: readonly ReactionSummary[] = Object.freeze([]);

/** The placeholder's local id: `#message-` anchors and list keys need one, unique per place. */
export const UNREADABLE_ID_PREFIX = 'unreadable-';

function placeholderView(client: number, clock: number): MessageView {
	return {
		id: `${UNREADABLE_ID_PREFIX}${client}-${clock}`,
		author: '',
		text: '',
		ts: 0,
		unreadable: true,
		receipt: null,
		edited: false,
		deleted: false,
		reactions: NO_REACTIONS,
		quote: null,
		original: null,
		change: null
	};
}

function sameChange(a: MessageChange | null, b: MessageChange | null): boolean {
	if (a === null || b === null) return a === b;
	return (
		a.ts === b.ts &&
		a.text === b.text &&
		a.deleted === b.deleted &&
		a.signature?.sig === b.signature?.sig
	);
}

/** Equal payload entries (a codec may open the same message into a new object). */
function sameFileKeys(
	a: readonly FileKey[] | undefined,
	b: readonly FileKey[] | undefined
): boolean {
	if (a === b) return true;
	if (a === undefined || b === undefined || a.length !== b.length) return false;
	return a.every((key, i) => {
		const other = b[i];
		return (
			other !== undefined &&
			key.id === other.id &&
			key.name === other.name &&
			key.type === other.type &&
			key.size === other.size &&
			key.key === other.key &&
			key.nonce === other.nonce &&
			key.sha256 === other.sha256
		);
	});
}

function sameQuote(a: ReplyQuote | null, b: ReplyQuote | null): boolean {
	if (a === b) return true;
	if (a === null || b === null || a.kind !== b.kind || a.id !== b.id) return false;
	if (a.kind === 'missing' || b.kind === 'missing') return true;
	if (a.author !== b.author) return false;
	return a.kind === 'deleted' || b.kind === 'deleted' || a.excerpt === b.excerpt;
}

/** The room's read marks that have the schema, by user. */
function readMarksOf(room: RoomTypes): Map<string, ReadMark> {
	const marks = new Map<string, ReadMark>();
	room.reads.forEach((value, userId) => {
		const mark = parseReadMark(value);
		if (mark) marks.set(userId, mark);
	});
	return marks;
}

export class MessageViews {
	readonly #selfId: string;
	/** Parsed stored values (objects), by the value object Yjs keeps for its item's life. */
	readonly #entries = new WeakMap<object, Entry>();
	/** Entries of stored values that are not objects (no WeakMap key), by place. */
	readonly #primitives = new Map<string, Entry>();
	/** The entries of the last derivation in array order, and each message id's position. */
	#order: readonly Entry[] = [];
	#positions = new Map<string, number>();
	#reactions: Map<string, ReactionSummary[]> | null = null;
	/** An encrypted room's keys: what opens `enc` (absent: a plain room). */
	readonly #codec: ContentCodec | undefined;

	constructor(selfId: string, codec?: ContentCodec) {
		this.#selfId = selfId;
		this.#codec = codec;
	}

	/** "Message info" of a message of the last derivation: each other member's times, or null. */
	infoOf(room: RoomTypes, messageId: string, recipients: readonly Recipient[]): InfoRow[] | null {
		const position = this.#positions.get(messageId);
		if (position === undefined) return null;
		return messageInfo(position, recipients, readMarksOf(room), this.#positions, this.#selfId);
	}

	/**
	 * The views of every message in array order, after those of `older` (sealed, so "stored").
	 * `reactionsChanged: false` says the reactions map has not changed since the last call, so
	 * its summary is reused. `recipients`: the room's members with their delivery marks (the
	 * group rule of receipts.ts), or null while unknown.
	 */
	derive(
		room: RoomTypes,
		delivery: DeliveryState,
		reactionsChanged = true,
		older: readonly ChatMessage[] = NO_OLDER,
		recipients: readonly Recipient[] | null = null
	): DerivedMessages {
		const head = this.#readEntries(room.messages);
		const sealed = older.length === 0 ? [] : this.#olderEntries(older, head);
		const order = sealed.length === 0 ? head : [...sealed, ...head];
		const positions = this.#updatePositions(order);
		if (reactionsChanged || this.#reactions === null) {
			this.#reactions = summarizeReactions(room.reactions.entries(), this.#selfId);
		}
		const reactions = this.#reactions;
		const reach = reachOf(recipients, readMarksOf(room), positions, this.#selfId);

		const codec = this.#codec;
		/** An encrypted message opened (its text), or why not; plain ones as they are. */
		const openedOf = (
			message: ChatMessage
		): { text: string; files?: readonly FileKey[]; locked?: LockReason } => {
			if (message.enc === undefined || codec === undefined) return { text: message.text };
			const opened = codec.openMessage(message);
			return opened.ok ? opened.value : { text: '', locked: opened.reason };
		};
		const changeOf = (message: ChatMessage) => parseChange(room.changes.get(message.id));
		const displayOf = (message: ChatMessage, stored = changeOf(message)) => {
			let change = stored;
			if (change?.enc !== undefined && codec !== undefined) {
				// An edit that cannot be opened leaves the message as it was.
				const opened = codec.openChange(message.id, message.author, change);
				change = opened.ok ? { ...change, text: opened.value.text } : null;
			}
			return change === null ? null : displayedText(message, change);
		};
		const sources = {
			get(id: string): QuotedSource | undefined {
				const at = positions.get(id);
				const source = at === undefined ? undefined : order[at]?.message;
				if (!source) return undefined;
				const display = displayOf(source);
				return {
					id: source.id,
					author: source.author,
					text: display?.text ?? openedOf(source).text,
					deleted: display?.deleted ?? false
				};
			}
		};

		let pending = 0;
		const views = order.map((entry, index): MessageView => {
			const { message } = entry;
			if (message === null) {
				entry.view ??= placeholderView(entry.client, entry.clock);
				return entry.view;
			}
			const change = changeOf(message);
			const opened = openedOf(message);
			const display = opened.locked === undefined ? displayOf(message, change) : null;
			const text = display?.text ?? opened.text;
			const edited = display?.edited ?? false;
			const deleted = display?.deleted ?? false;
			const chips = deleted ? NO_REACTIONS : (reactions.get(message.id) ?? NO_REACTIONS);
			const quote = message.replyTo === undefined ? null : quoteOf(message.replyTo, sources);
			let receipt: Receipt | null = null;
			if (message.author === this.#selfId) {
				receipt = receiptOf(deliveryOf(entry, delivery) === 'stored', index, reach);
				if (receipt === 'pending') pending++;
			}
			const last = entry.view;
			if (
				last !== null &&
				last.text === text &&
				last.edited === edited &&
				last.deleted === deleted &&
				last.reactions === chips &&
				last.receipt === receipt &&
				last.locked === opened.locked &&
				sameFileKeys(last.fileKeys, opened.files) &&
				sameQuote(last.quote, quote) &&
				sameChange(last.change, change)
			) {
				return last;
			}
			const view: MessageView = {
				...message,
				text,
				edited,
				deleted,
				reactions: chips,
				quote,
				receipt,
				unreadable: false,
				original: message,
				change,
				...(opened.locked === undefined ? {} : { locked: opened.locked }),
				...(opened.files === undefined ? {} : { fileKeys: opened.files })
			};
			entry.view = view;
			return view;
		});
		return { views, pending, older: sealed.length };
	}

	/**
	 * Every live value of the array in order, a value without the schema included (it keeps its
	 * place as a placeholder). Yjs keeps several consecutive values of one client in one item;
	 * value i of an item has clock item.clock + i.
	 */
	#readEntries(array: Y.Array<unknown>): Entry[] {
		const order: Entry[] = [];
		for (let item = array._start; item !== null; item = item.right) {
			if (item.deleted || !item.countable) continue;
			const values: unknown[] = item.content.getContent();
			for (let i = 0; i < values.length; i++) {
				order.push(this.#entryOf(values[i], item.id.client, item.id.clock + i));
			}
		}
		return order;
	}

	#entryOf(value: unknown, client: number, clock: number): Entry {
		const isObject = typeof value === 'object' && value !== null;
		const place = `${client}:${clock}`;
		let entry = isObject ? this.#entries.get(value) : this.#primitives.get(place);
		if (entry === undefined) {
			entry = { message: parseMessage(value), client, clock, view: null };
			if (isObject) this.#entries.set(value, entry);
			else this.#primitives.set(place, entry);
		}
		return entry;
	}

	/**
	 * Entries of sealed messages, parsed once. An id the head holds too is left out (the gate
	 * never lets one in twice, but the log is keyed by id).
	 */
	#olderEntries(older: readonly ChatMessage[], head: readonly Entry[]): Entry[] {
		const headIds = new Set(head.flatMap((entry) => (entry.message ? [entry.message.id] : [])));
		const entries: Entry[] = [];
		for (const message of older) {
			if (headIds.has(message.id)) continue;
			headIds.add(message.id);
			let entry = this.#entries.get(message);
			if (!entry) {
				entry = { message, client: SEALED, clock: 0, view: null };
				this.#entries.set(message, entry);
			}
			entries.push(entry);
		}
		return entries;
	}

	/** Message id -> position: extended when messages were only appended, else rebuilt. */
	#updatePositions(order: readonly Entry[]): ReadonlyMap<string, number> {
		const previous = this.#order;
		let appended = previous.length <= order.length;
		for (let i = 0; appended && i < previous.length; i++) {
			if (previous[i] !== order[i]) appended = false;
		}
		if (!appended) this.#positions = new Map();
		const positions = this.#positions;
		// A duplicated id (a hand-made replica) resolves to its last copy, like positionsOf.
		for (let i = appended ? previous.length : 0; i < order.length; i++) {
			const entry = order[i];
			// A placeholder has no message id: a read mark or a reply cannot point at it.
			if (entry?.message) positions.set(entry.message.id, i);
		}
		this.#order = order;
		return positions;
	}
}
