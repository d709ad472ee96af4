/**
 * Keeps the message search index (src/lib/server/search.ts) in step with committed updates.
 * The sync server calls `indexCommitted` after each group commit, off the hot path
 * (setImmediate): it decodes the committed Yjs updates without a Y.Doc and writes the whole
 * batch in one transaction. It never throws: a failure is reported to `onError` and the rooms
 * concerned are fixed by the next `reindexRoom`.
 *
 * How an update's items are placed (docs/design.md, "Search"): an item carries its parent (a
 * root name) and key only when it has no origin. So
 * - a message is any ContentAny value with the message shape (`id`, `author`, `text`, `ts`),
 *   wherever it sits: the gate admits that shape only in `messages`;
 * - a `changes` item is one whose parent is 'changes' (key = parentSub), or whose origin is a
 *   `changes` item seen before (in this batch, or recorded in `message_change_items`): a
 *   second edit of a message points at the first. An item whose origin was never seen (its
 *   room was edited before indexing started) is skipped until `reindexRoom`.
 */
import * as Y from 'yjs';
import { READER_LIMITS, ROOT, parseChange, parseMessage } from '../src/lib/protocol/schema';
import type { Db } from '../src/lib/server/db';
import {
	applyMessageChange,
	clearRoomIndex,
	findChangeItemKey,
	indexMessage,
	isRoomIndexed,
	recordChangeItem,
	type IndexedMessage,
	type MessageChange
} from '../src/lib/server/search';

export interface CommittedUpdate {
	readonly roomId: string;
	readonly data: Uint8Array;
}

export interface SearchIndexer {
	/** Indexes committed updates; returns how many messages and changes it wrote. */
	indexCommitted(batch: readonly CommittedUpdate[]): { messages: number; changes: number };
	/** Rebuilds a room's index from its full document (e.g. after load when not yet indexed). */
	reindexRoom(roomId: string, doc: Y.Doc): void;
	/** Whether the room has any message in the index. */
	isRoomIndexed(roomId: string): boolean;
}

export interface SearchIndexerOptions {
	onError?(error: unknown, roomIds: readonly string[]): void;
}

/** A message value (src/lib/protocol/schema.ts, as readers parse it), or null. */
function asMessage(value: unknown): IndexedMessage | null {
	const parsed = parseMessage(value, READER_LIMITS);
	if (!parsed.ok) return null;
	const { id, author, text, ts } = parsed.value;
	return { id, author, text, ts };
}

function asChange(value: unknown): MessageChange | null {
	const parsed = parseChange(value, READER_LIMITS);
	return parsed.ok ? parsed.value : null;
}

/** A `changes` item found in a batch: its key, and its value when it is a live ContentAny. */
interface ChangeItem {
	readonly client: number;
	readonly clock: number;
	readonly length: number;
	readonly messageId: string;
	readonly change: MessageChange | null;
}

function changeOf(item: Y.Item): MessageChange | null {
	return item.content instanceof Y.ContentAny ? asChange(item.content.getContent()[0]) : null;
}

/** The messages and `changes` items of one room's committed updates, in commit order. */
function collectRoom(
	db: Db,
	roomId: string,
	updates: readonly Uint8Array[]
): { messages: IndexedMessage[]; changes: ChangeItem[] } {
	const messages: IndexedMessage[] = [];
	const changes: ChangeItem[] = [];
	const unplaced: Y.Item[] = [];
	for (const data of updates) {
		for (const struct of Y.decodeUpdate(data).structs) {
			if (!(struct instanceof Y.Item)) continue;
			// Decoded (unintegrated) items hold their parent as a root name, which Yjs's types omit.
			const parent: unknown = struct.parent;
			const { parentSub } = struct;
			let holdsMessages = false;
			if (struct.content instanceof Y.ContentAny && (parent === null || parent === ROOT.messages)) {
				for (const value of struct.content.getContent()) {
					const message = asMessage(value);
					if (message) messages.push(message);
					holdsMessages ||= message !== null;
				}
			}
			if (parent === ROOT.changes && parentSub !== null) {
				changes.push({ ...idOf(struct), messageId: parentSub, change: changeOf(struct) });
			} else if (parent === null && struct.origin !== null && !holdsMessages) {
				unplaced.push(struct);
			}
		}
	}
	// Origins may point at items later in the batch (updates from several clients): repeat
	// until nothing more can be placed.
	let pending = unplaced;
	for (let progress = true; progress && pending.length > 0;) {
		progress = false;
		const left: Y.Item[] = [];
		for (const item of pending) {
			const origin = item.origin;
			const key =
				origin &&
				(keyInBatch(changes, origin.client, origin.clock) ??
					findChangeItemKey(db, roomId, origin.client, origin.clock));
			if (key) {
				changes.push({ ...idOf(item), messageId: key, change: changeOf(item) });
				progress = true;
			} else {
				left.push(item);
			}
		}
		pending = left;
	}
	return { messages, changes };
}

function idOf(item: Y.Item): { client: number; clock: number; length: number } {
	return { client: item.id.client, clock: item.id.clock, length: item.length };
}

function keyInBatch(changes: readonly ChangeItem[], client: number, clock: number): string | null {
	const found = changes.find(
		(item) => item.client === client && item.clock <= clock && clock < item.clock + item.length
	);
	return found?.messageId ?? null;
}

export function createSearchIndexer(db: Db, options: SearchIndexerOptions = {}): SearchIndexer {
	const writeBatch = db.transaction((batch: readonly CommittedUpdate[]) => {
		const byRoom = new Map<string, Uint8Array[]>();
		for (const { roomId, data } of batch) {
			const list = byRoom.get(roomId) ?? [];
			list.push(data);
			byRoom.set(roomId, list);
		}
		let messageCount = 0;
		let changeCount = 0;
		for (const [roomId, updates] of byRoom) {
			const { messages, changes } = collectRoom(db, roomId, updates);
			for (const message of messages) indexMessage(db, roomId, message);
			messageCount += messages.length;
			for (const item of changes) {
				recordChangeItem(db, roomId, item.client, item.clock, item.length, item.messageId);
				if (item.change && applyMessageChange(db, roomId, item.messageId, item.change)) {
					changeCount++;
				}
			}
		}
		return { messages: messageCount, changes: changeCount };
	});

	const rebuildRoom = db.transaction((roomId: string, doc: Y.Doc) => {
		clearRoomIndex(db, roomId);
		for (const value of doc.getArray<unknown>(ROOT.messages).toArray()) {
			const message = asMessage(value);
			if (message) indexMessage(db, roomId, message);
		}
		const changes = doc.getMap<unknown>(ROOT.changes);
		for (const [messageId, current] of changes._map) {
			// Every item ever written at this key (overwritten ones are deleted but keep their
			// ids), so later edits pointing at any of them are placed.
			for (let item: Y.Item | null = current; item !== null; item = item.left) {
				recordChangeItem(db, roomId, item.id.client, item.id.clock, item.length, messageId);
			}
			const change = current.deleted ? null : changeOf(current);
			if (change) applyMessageChange(db, roomId, messageId, change);
		}
	});

	return {
		indexCommitted(batch) {
			try {
				return writeBatch(batch);
			} catch (error) {
				options.onError?.(error, [...new Set(batch.map((update) => update.roomId))]);
				return { messages: 0, changes: 0 };
			}
		},
		reindexRoom(roomId, doc) {
			try {
				rebuildRoom(roomId, doc);
			} catch (error) {
				options.onError?.(error, [roomId]);
			}
		},
		isRoomIndexed(roomId) {
			return isRoomIndexed(db, roomId);
		}
	};
}
