/**
 * Reads a room's local replica (the y-indexeddb database a RoomReplica writes) without opening
 * a provider: for the home page's unread counts. Read only; a room this browser never opened
 * has no database and gives null.
 */
import * as Y from 'yjs';
import { parseMessage } from './messages';
import { parseReadMark, unreadCount } from './receipts';

/**
 * The y-indexeddb database of one user's replica of one room's epoch (see room.svelte.ts and
 * epochs.ts). Epoch 0 keeps the name replicas had before history was segmented.
 */
export function replicaDatabaseName(userId: string, roomId: string, epoch = 0): string {
	return epoch === 0 ? `parley:${userId}:${roomId}` : `parley:${userId}:${roomId}:e${epoch}`;
}

/** The room and epoch of a replica database name of `userId`'s, or null for any other name. */
export function parseReplicaDatabaseName(
	userId: string,
	name: string
): { readonly roomId: string; readonly epoch: number } | null {
	const prefix = `parley:${userId}:`;
	if (!name.startsWith(prefix)) return null;
	const rest = name.slice(prefix.length);
	const match = /^([^:]+)(?::e([1-9][0-9]*))?$/.exec(rest);
	if (!match?.[1]) return null;
	return { roomId: match[1], epoch: match[2] === undefined ? 0 : Number(match[2]) };
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

export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
	});
}

/** The updates y-indexeddb stored in database `name`, in order; null when there is no such database. */
export async function readUpdates(name: string): Promise<Uint8Array[] | null> {
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

/**
 * Messages by others after the user's own read mark in the local replica of `epoch` (the one
 * the room page opens, see epochs.ts); null: never opened.
 */
export async function localUnreadCount(
	userId: string,
	roomId: string,
	epoch = 0
): Promise<number | null> {
	const updates = await readUpdates(replicaDatabaseName(userId, roomId, epoch));
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
		// After a seal the user's mark usually names a sealed message, before the whole head.
		return unreadCount(messages, mark?.upTo ?? null, userId, epoch > 0);
	} finally {
		doc.destroy();
	}
}

/** Deletes database `name`; resolves once deleted, or once the deletion waits for other tabs. */
export function deleteDatabase(name: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.deleteDatabase(name);
		request.onsuccess = () => resolve();
		// Other tabs' connections close on `versionchange` (lib0's openDB): it goes through then.
		request.onblocked = () => resolve();
		request.onerror = () => reject(request.error ?? new Error('IndexedDB delete failed'));
	});
}

/** The epochs of `userId`'s replicas of `roomId` in this browser. */
export async function replicaEpochs(userId: string, roomId: string): Promise<number[]> {
	const epochs: number[] = [];
	for (const { name } of await indexedDB.databases()) {
		const parsed = name === undefined ? null : parseReplicaDatabaseName(userId, name);
		if (parsed?.roomId === roomId) epochs.push(parsed.epoch);
	}
	return epochs.sort((a, b) => a - b);
}
