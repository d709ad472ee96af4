/**
 * What this browser keeps for a user, for Settings › Storage (docs/design.md, "Local storage"):
 * each room's replica (every epoch's database) with its size, when the room was last opened here
 * and whether it holds changes the server has not stored; the upload outbox; and forgetting the
 * replicas of rooms not opened for a while — never one holding anything unsent.
 */
import * as Y from 'yjs';
import { parseDeliveryState, type DeliveryState } from './delivery';
import { deliveryStorageKey } from './epochs';
import {
	deleteDatabase,
	parseReplicaDatabaseName,
	readUpdates,
	replicaDatabaseName
} from './local-replica';

/** Rooms not opened here for this long may be forgotten (30 days). */
export const FORGET_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

export function openedStorageKey(userId: string, roomId: string): string {
	return `parley:opened:${userId}:${roomId}`;
}

/** The room page notes each visit. */
export function noteRoomOpened(userId: string, roomId: string, now = Date.now()): void {
	try {
		localStorage.setItem(openedStorageKey(userId, roomId), String(now));
	} catch {
		// A full localStorage: the room just looks older on the storage page.
	}
}

function lastOpened(userId: string, roomId: string): number | null {
	const value = Number(localStorage.getItem(openedStorageKey(userId, roomId)));
	return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/**
 * True when the replica holds a change of this browser's own clientIDs that no STORED receipt
 * covers (a message, edit, reaction or read mark the server may never have got).
 */
export function hasUnsent(
	stateVector: ReadonlyMap<number, number>,
	delivery: DeliveryState
): boolean {
	for (const client of delivery.ownClients) {
		if ((stateVector.get(client) ?? 0) > (delivery.stored.get(client) ?? 0)) return true;
	}
	return false;
}

export interface RoomReplicaUsage {
	readonly roomId: string;
	/** Bytes of every epoch's stored updates. */
	readonly bytes: number;
	readonly epochs: readonly number[];
	/** ms, or null when never noted (opened before this was recorded). */
	readonly lastOpened: number | null;
	readonly unsent: boolean;
}

/** Whether a room's replica may be forgotten now: old enough, nothing unsent, no outbox draft. */
export function mayForget(
	room: RoomReplicaUsage,
	outboxRooms: ReadonlySet<string>,
	now: number,
	afterMs = FORGET_AFTER_MS
): boolean {
	if (room.unsent || outboxRooms.has(room.roomId)) return false;
	return room.lastOpened === null || room.lastOpened < now - afterMs;
}

/** Every replica of `userId`'s in this browser, grouped by room, largest first. */
export async function replicaUsage(userId: string): Promise<RoomReplicaUsage[]> {
	const byRoom = new Map<string, { bytes: number; epochs: number[]; unsent: boolean }>();
	for (const { name } of await indexedDB.databases()) {
		const parsed = name === undefined ? null : parseReplicaDatabaseName(userId, name);
		if (parsed === null || name === undefined) continue;
		const updates = (await readUpdates(name)) ?? [];
		const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0);
		const stateVector =
			updates.length === 0
				? new Map<number, number>()
				: Y.decodeStateVector(Y.encodeStateVectorFromUpdate(Y.mergeUpdates(updates)));
		const delivery = parseDeliveryState(
			localStorage.getItem(deliveryStorageKey(userId, parsed.roomId, parsed.epoch))
		);
		const room = byRoom.get(parsed.roomId) ?? { bytes: 0, epochs: [], unsent: false };
		room.bytes += bytes;
		room.epochs.push(parsed.epoch);
		room.unsent ||= hasUnsent(stateVector, delivery);
		byRoom.set(parsed.roomId, room);
	}
	return [...byRoom]
		.map(([roomId, room]) => ({
			roomId,
			...room,
			epochs: room.epochs.sort((a, b) => a - b),
			lastOpened: lastOpened(userId, roomId)
		}))
		.sort((a, b) => b.bytes - a.bytes);
}

export interface OutboxUsage {
	readonly drafts: number;
	readonly bytes: number;
	readonly rooms: ReadonlySet<string>;
}

/** The upload outbox (uploads.svelte.ts): drafts waiting, the bytes of their files, their rooms. */
export async function outboxUsage(userId: string): Promise<OutboxUsage> {
	const name = `parley-outbox:${userId}`;
	const empty: OutboxUsage = { drafts: 0, bytes: 0, rooms: new Set() };
	if (!(await indexedDB.databases()).some((db) => db.name === name)) return empty;
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const open = indexedDB.open(name);
		open.onsuccess = () => resolve(open.result);
		open.onerror = () => reject(open.error ?? new Error('IndexedDB open failed'));
	});
	try {
		if (!db.objectStoreNames.contains('drafts')) return empty;
		const all = await new Promise<unknown[]>((resolve, reject) => {
			const request = db.transaction('drafts', 'readonly').objectStore('drafts').getAll();
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error ?? new Error('IndexedDB read failed'));
		});
		let bytes = 0;
		const rooms = new Set<string>();
		for (const draft of all as { roomId?: unknown; files?: { blob?: Blob }[] }[]) {
			if (typeof draft.roomId === 'string') rooms.add(draft.roomId);
			for (const file of draft.files ?? []) bytes += file.blob?.size ?? 0;
		}
		return { drafts: all.length, bytes, rooms };
	} finally {
		db.close();
	}
}

/** Deletes the replicas (every epoch) and delivery marks of these rooms; returns bytes freed. */
export async function forgetReplicas(
	userId: string,
	rooms: readonly RoomReplicaUsage[]
): Promise<number> {
	let freed = 0;
	for (const room of rooms) {
		for (const epoch of room.epochs) {
			await deleteDatabase(replicaDatabaseName(userId, room.roomId, epoch));
			localStorage.removeItem(deliveryStorageKey(userId, room.roomId, epoch));
		}
		freed += room.bytes;
	}
	return freed;
}
