/**
 * Keeps the message search index (`storage.search`, src/lib/server/storage/types.ts) in step
 * with committed updates. The sync server calls `indexCommitted` after each group commit, off
 * the hot path (batched): it decodes the committed Yjs updates without a Y.Doc and writes the
 * whole batch with one `writeIndex` (one transaction). It never rejects: a failure is reported
 * to `onError` and the rooms concerned are fixed by the next `reindexRoom`. Writes run one at a
 * time, in call order, so a batch's change items are recorded before the next batch looks
 * their keys up.
 *
 * How an update's items are placed (docs/design.md, "Search"): an item carries its parent (a
 * root name) and key only when it has no origin. So
 * - a message is any ContentAny value with the message shape (`id`, `author`, `text`, `ts`),
 *   wherever it sits: the gate admits that shape only in `messages`;
 * - a `changes` item is one whose parent is 'changes' (key = parentSub), or whose origin is a
 *   `changes` item seen before (in this batch, or recorded by `storage.search`): a second edit
 *   of a message points at the first. An item whose origin was never seen (its room was edited
 *   before indexing started) is skipped until `reindexRoom`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as Y from 'yjs';
import { READER_LIMITS, ROOT, parseChange, parseMessage } from '../src/lib/protocol/schema';
import type {
	ChangeItem,
	IndexedMessage,
	MessageChange,
	RoomIndexWrite,
	SearchStorage
} from '../src/lib/server/storage/types';

/**
 * At most this many committed updates (or messages, or change items of a rebuild) go into one
 * storage write, one write per event-loop turn: the storage writes synchronously (SQLite FTS,
 * ~30-50 µs a message), and 200 messages of a busy 100 ms, or a 5,000-message room rebuilt
 * in one transaction, held every other room's messages back for tens to hundreds of ms.
 */
export const INDEX_CHUNK = 64;

export interface CommittedUpdate {
	readonly roomId: string;
	readonly data: Uint8Array;
}

export interface SearchIndexer {
	/**
	 * Indexes committed updates; resolves to how many messages and changes it wrote (none when
	 * the write failed: reported to `onError`). Never rejects.
	 */
	indexCommitted(batch: readonly CommittedUpdate[]): Promise<IndexCounts>;
	/**
	 * Rebuilds a room's index from its full document (e.g. after load when not yet indexed). The
	 * document is read at the call, so it may change or go at once after. Never rejects.
	 */
	reindexRoom(roomId: string, doc: Y.Doc): Promise<void>;
	/** Whether the room has any message in the index (true after a failure: reported). */
	isRoomIndexed(roomId: string): Promise<boolean>;
}

export interface IndexCounts {
	readonly messages: number;
	readonly changes: number;
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

function changeOf(item: Y.Item): MessageChange | null {
	return item.content instanceof Y.ContentAny ? asChange(item.content.getContent()[0]) : null;
}

/** The messages and `changes` items of one room's committed updates, in commit order. */
async function collectRoom(
	search: Pick<SearchStorage, 'findChangeItemKey'>,
	roomId: string,
	updates: readonly Uint8Array[]
): Promise<RoomIndexWrite> {
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
					(await search.findChangeItemKey(roomId, origin.client, origin.clock)));
			if (key) {
				changes.push({ ...idOf(item), messageId: key, change: changeOf(item) });
				progress = true;
			} else {
				left.push(item);
			}
		}
		pending = left;
	}
	return { roomId, messages, changes };
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

/** A room's whole index, read from its document now. */
function roomWrite(roomId: string, doc: Y.Doc): RoomIndexWrite {
	const messages: IndexedMessage[] = [];
	for (const value of doc.getArray<unknown>(ROOT.messages).toArray()) {
		const message = asMessage(value);
		if (message) messages.push(message);
	}
	const changes: ChangeItem[] = [];
	for (const [messageId, current] of doc.getMap<unknown>(ROOT.changes)._map) {
		// Every item ever written at this key (overwritten ones are deleted but keep their ids),
		// so later edits pointing at any of them are placed. Only the current one's change
		// applies; the storage records the items in this order and applies the changes given.
		for (let item: Y.Item | null = current; item !== null; item = item.left) {
			const change = item === current && !current.deleted ? changeOf(current) : null;
			changes.push({ ...idOf(item), messageId, change });
		}
	}
	return { roomId, messages, changes };
}

/** Groups a batch's updates by room, in order of first appearance. */
function byRoom(batch: readonly CommittedUpdate[]): Map<string, Uint8Array[]> {
	const rooms = new Map<string, Uint8Array[]>();
	for (const { roomId, data } of batch) {
		const list = rooms.get(roomId) ?? [];
		list.push(data);
		rooms.set(roomId, list);
	}
	return rooms;
}

export function createSearchIndexer(
	search: SearchStorage,
	options: SearchIndexerOptions = {}
): SearchIndexer {
	/** The last write queued: each write starts after it (see the file's comment). */
	let queue: Promise<unknown> = Promise.resolve();
	function enqueue<T>(work: () => Promise<T>, fallback: T, roomIds: readonly string[]): Promise<T> {
		const run = queue.then(work).catch((error: unknown) => {
			options.onError?.(error, roomIds);
			return fallback;
		});
		queue = run;
		return run;
	}

	return {
		indexCommitted(batch) {
			return enqueue(
				async () => {
					const total = { messages: 0, changes: 0 };
					// Chunk after chunk: a later chunk finds the change items of an earlier one
					// through storage (written by then), as a later batch does.
					for (let from = 0; from < batch.length; from += INDEX_CHUNK) {
						if (from > 0) await nextTurn();
						const writes: RoomIndexWrite[] = [];
						for (const [roomId, updates] of byRoom(batch.slice(from, from + INDEX_CHUNK))) {
							writes.push(await collectRoom(search, roomId, updates));
						}
						const counts = await search.writeIndex(writes);
						total.messages += counts.messages;
						total.changes += counts.changes;
					}
					return total;
				},
				{ messages: 0, changes: 0 },
				[...byRoom(batch).keys()]
			);
		},
		reindexRoom(roomId, doc) {
			let write: RoomIndexWrite;
			try {
				write = roomWrite(roomId, doc);
			} catch (error) {
				options.onError?.(error, [roomId]);
				return Promise.resolve();
			}
			// The first chunk replaces what the index held; the rest is added chunk by chunk,
			// messages before the change items that apply to them.
			const { messages, changes } = write;
			return enqueue(
				async () => {
					await search.rebuildRoom({
						roomId,
						messages: messages.slice(0, INDEX_CHUNK),
						changes: []
					});
					const rest: RoomIndexWrite[] = [];
					for (let from = INDEX_CHUNK; from < messages.length; from += INDEX_CHUNK) {
						rest.push({ roomId, messages: messages.slice(from, from + INDEX_CHUNK), changes: [] });
					}
					for (let from = 0; from < changes.length; from += INDEX_CHUNK) {
						rest.push({ roomId, messages: [], changes: changes.slice(from, from + INDEX_CHUNK) });
					}
					for (const chunk of rest) {
						await nextTurn();
						await search.writeIndex([chunk]);
					}
				},
				undefined,
				[roomId]
			);
		},
		async isRoomIndexed(roomId) {
			try {
				return await search.isRoomIndexed(roomId);
			} catch (error) {
				options.onError?.(error, [roomId]);
				return true;
			}
		}
	};
}
