/**
 * Reads a room's local replica (the y-indexeddb database a RoomReplica writes) without opening
 * a provider: for the home page's unread counts. Read only; a room this browser never opened
 * has no database and gives null.
 */
import * as Y from 'yjs';
import { parseMessage } from './messages';
import { parseReadMark, unreadCount } from './receipts';

/** The y-indexeddb database of one user's replica of one room (see room.svelte.ts). */
export function replicaDatabaseName(userId: string, roomId: string): string {
	return `parley:${userId}:${roomId}`;
}

/**
 * Yjs encodes every transaction as an update when anything listens for 'update'. y-indexeddb
 * listens, but ignores the updates it applied itself (origin: the persistence), so encoding its
 * load of a 50,000-message replica (≈150 ms) is wasted. This detaches `listener` while a
 * transaction of `origin` runs. Yjs looks for listeners after 'afterTransactionCleanup', so the
 * listener comes back at 'afterAllTransactions', or as soon as a transaction of another origin
 * starts (what others write must reach it). `active`: false once the listener's owner stopped
 * listening for good (destroyed), so it is not brought back. Returns the cleanup.
 */
export function detachDuringOwnTransactions(
	doc: Y.Doc,
	origin: unknown,
	listener: (update: Uint8Array, origin: unknown) => void,
	active: () => boolean
): () => void {
	let detached = false;
	const attach = (): void => {
		if (!detached) return;
		detached = false;
		if (active()) doc.on('update', listener);
	};
	const before = (transaction: Y.Transaction): void => {
		if (transaction.origin !== origin) {
			attach();
		} else if (!detached) {
			detached = true;
			doc.off('update', listener);
		}
	};
	doc.on('beforeTransaction', before);
	doc.on('afterAllTransactions', attach);
	return () => {
		doc.off('beforeTransaction', before);
		doc.off('afterAllTransactions', attach);
	};
}

/** y-indexeddb keeps every update, in order, in this object store. */
const UPDATES_STORE = 'updates';

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
	});
}

async function readUpdates(name: string): Promise<Uint8Array[] | null> {
	// indexedDB.open would create a missing database: only open one that exists.
	const existing = await indexedDB.databases();
	if (!existing.some((db) => db.name === name)) return null;
	const db = await requestResult(indexedDB.open(name));
	try {
		if (!db.objectStoreNames.contains(UPDATES_STORE)) return null;
		const store = db.transaction(UPDATES_STORE, 'readonly').objectStore(UPDATES_STORE);
		const updates: unknown[] = await requestResult(store.getAll());
		return updates.filter((u): u is Uint8Array => u instanceof Uint8Array);
	} finally {
		db.close();
	}
}

/** Messages by others after the user's own read mark in the local replica; null: never opened. */
export async function localUnreadCount(userId: string, roomId: string): Promise<number | null> {
	const updates = await readUpdates(replicaDatabaseName(userId, roomId));
	if (updates === null) return null;
	const doc = new Y.Doc();
	try {
		for (const update of updates) Y.applyUpdate(doc, update);
		const messages = doc
			.getArray('messages')
			.toArray()
			.map(parseMessage)
			.filter((m) => m !== null);
		const mark = parseReadMark(doc.getMap('reads').get(userId));
		return unreadCount(messages, mark?.upTo ?? null, userId);
	} finally {
		doc.destroy();
	}
}
