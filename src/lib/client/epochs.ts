/**
 * History epochs in the browser (docs/design.md, "History segments (epochs)"): which epoch's
 * replica this browser holds, and what of a sealed epoch's replica the server never got, to be
 * written again into the new head.
 *
 * A sealed epoch's state vector says, per clientID, how many structs the server held when it
 * sealed. A value of the old replica whose item lies beyond it never reached the server: it is
 * in no segment and not in the new head, so it is re-sent. Only the user's own values are: the
 * gate accepts nothing else from them, and everyone else re-sends their own.
 */
import * as Y from 'yjs';
import * as z from 'zod/mini';
import { readArrayEntries, type ItemId } from './delivery';
import type { RoomTypes } from './message-views';
import {
	parseChange,
	parseMessage,
	storedChange,
	storedMessage,
	storedReaction,
	storedReadMark,
	type ChatMessage,
	type MessageChange
} from './messages';
import { parseReaction, parseReactionKey, type Reaction } from './reactions';
import { parseReadMark, type ReadMark } from './receipts';

/** localStorage key of the epoch of the user's replica of the room. */
export function epochStorageKey(userId: string, roomId: string): string {
	return `parley:epoch:${userId}:${roomId}`;
}

/** localStorage key of the delivery marks (delivery.ts) of one epoch's replica. */
export function deliveryStorageKey(userId: string, roomId: string, epoch: number): string {
	const key = `parley:delivery:${userId}:${roomId}`;
	return epoch === 0 ? key : `${key}:e${epoch}`;
}

/**
 * localStorage key of the own reactions taken back in one epoch's replica: reaction key -> the
 * ts value taken back. A deletion leaves no item to compare with a sealed state vector, so this
 * is how a move knows the head's copy of a reaction is one the user had already taken back.
 */
export function removedReactionsKey(userId: string, roomId: string, epoch: number): string {
	return `parley:unreacted:${userId}:${roomId}:e${epoch}`;
}

const RemovedReactionsSchema = z.record(z.string(), z.number());

/** The reactions taken back in that epoch's replica (key -> ts), as recorded. */
export function readRemovedReactions(
	userId: string,
	roomId: string,
	epoch: number
): Map<string, number> {
	try {
		const raw = localStorage.getItem(removedReactionsKey(userId, roomId, epoch));
		const parsed = RemovedReactionsSchema.safeParse(raw === null ? {} : JSON.parse(raw));
		return new Map(parsed.success ? Object.entries(parsed.data) : []);
	} catch {
		return new Map();
	}
}

/**
 * Records that the user took back (`ts` = the value removed) or set again (`ts` = null) their
 * reaction `key` in that epoch's replica.
 */
export function noteReactionRemoved(
	userId: string,
	roomId: string,
	epoch: number,
	key: string,
	ts: number | null
): void {
	const removed = readRemovedReactions(userId, roomId, epoch);
	if (ts === null) removed.delete(key);
	else removed.set(key, ts);
	const storageKey = removedReactionsKey(userId, roomId, epoch);
	try {
		if (removed.size === 0) localStorage.removeItem(storageKey);
		else localStorage.setItem(storageKey, JSON.stringify(Object.fromEntries(removed)));
	} catch {
		// A full localStorage: the reaction may come back after a seal, nothing else is lost.
	}
}

export function parseEpoch(raw: string | null): number | null {
	if (raw === null || !/^(0|[1-9][0-9]{0,8})$/.test(raw)) return null;
	return Number(raw);
}

/** The epoch of this browser's replica of the room; null when it never opened one. */
export function readReplicaEpoch(userId: string, roomId: string): number | null {
	return parseEpoch(localStorage.getItem(epochStorageKey(userId, roomId)));
}

/** Records the replica's epoch; an epoch never goes back (another tab may have moved on). */
export function rememberReplicaEpoch(userId: string, roomId: string, epoch: number): void {
	const current = readReplicaEpoch(userId, roomId);
	if (current === null || epoch > current) {
		localStorage.setItem(epochStorageKey(userId, roomId), String(epoch));
	}
}

/**
 * The epoch whose replica the room page opens. The stored one while there is one: if the
 * server's head is newer, that replica may hold what the server never got, and connecting with
 * it brings the 4409 that moves it into the head. A browser without one opens the head.
 */
export function epochToOpen(stored: number | null, pageEpoch: number): number {
	return stored ?? pageEpoch;
}

/** What of an old epoch's replica the server never got, by the user. */
export interface UnsyncedChanges {
	readonly userId: string;
	/** Own messages, in array order. */
	readonly messages: readonly ChatMessage[];
	/** `changes` entries of own messages. */
	readonly changes: readonly (readonly [string, MessageChange])[];
	/** Own `reactions` entries (key `messageId|emoji|userId`, value ts and its signature). */
	readonly reactions: readonly (readonly [string, Reaction])[];
	/**
	 * Own reactions taken back in the old replica (key, the ts taken back) that it still does
	 * not hold: the head's copy of one with that very ts is removed.
	 */
	readonly removedReactions: readonly (readonly [string, number])[];
	/** The user's `reads` entry. */
	readonly read: ReadMark | null;
}

function covered(id: ItemId, stateVector: ReadonlyMap<number, number>): boolean {
	return id.clock < (stateVector.get(id.client) ?? 0);
}

/** The item holding a map key's current value, null when the key is absent or deleted. */
function currentItem(map: Y.Map<unknown>, key: string): Y.Item | null {
	const item = map._map.get(key);
	return item === undefined || item.deleted ? null : item;
}

/**
 * The user's values in `oldDoc` (an old epoch's replica) that `stateVector` (the sealed
 * epoch's) does not cover. `authorOf` answers for messages of earlier epochs, whose `changes`
 * the old replica may hold without the message itself; a change of a message whose author is
 * not known to be the user is left out (the gate would refuse it).
 */
export function unsyncedOwnChanges(
	oldDoc: Y.Doc,
	stateVector: ReadonlyMap<number, number>,
	userId: string,
	authorOf: (messageId: string) => string | undefined = () => undefined,
	removed: ReadonlyMap<string, number> = new Map()
): UnsyncedChanges {
	const messages: ChatMessage[] = [];
	const authors = new Map<string, string>();
	for (const entry of readArrayEntries(oldDoc.getArray<unknown>('messages'))) {
		const message = parseMessage(entry.value);
		if (message === null) continue;
		authors.set(message.id, message.author);
		if (message.author === userId && !covered(entry, stateVector)) messages.push(message);
	}

	const uncovered = (map: Y.Map<unknown>): Array<[string, unknown]> => {
		const found: Array<[string, unknown]> = [];
		for (const key of map.keys()) {
			const item = currentItem(map, key);
			if (item !== null && !covered(item.id, stateVector)) found.push([key, map.get(key)]);
		}
		return found;
	};

	const changes: Array<[string, MessageChange]> = [];
	for (const [key, value] of uncovered(oldDoc.getMap('changes'))) {
		const change = parseChange(value);
		if (change !== null && (authors.get(key) ?? authorOf(key)) === userId) {
			changes.push([key, change]);
		}
	}

	const reactions: Array<[string, Reaction]> = [];
	for (const [key, value] of uncovered(oldDoc.getMap('reactions'))) {
		if (parseReactionKey(key)?.userId !== userId) continue;
		const reaction = parseReaction(value);
		if (reaction !== null) reactions.push([key, reaction]);
	}

	const oldReactions = oldDoc.getMap<unknown>('reactions');
	const removedReactions = [...removed].filter(
		([key]) => parseReactionKey(key)?.userId === userId && !oldReactions.has(key)
	);

	const reads = oldDoc.getMap<unknown>('reads');
	const readItem = currentItem(reads, userId);
	const read =
		readItem !== null && !covered(readItem.id, stateVector)
			? parseReadMark(reads.get(userId))
			: null;

	return { userId, messages, changes, reactions, removedReactions, read };
}

export interface WrittenCounts {
	readonly messages: number;
	readonly keys: number;
}

/**
 * Writes `unsynced` into the new head, leaving out what it already holds: a message whose id is
 * there, a reaction that is there, a change or read mark not newer than the head's (and never
 * over a delete, which is final). So writing the same changes twice writes nothing the second
 * time. Call it inside one transaction.
 */
export function writeUnsynced(room: RoomTypes, unsynced: UnsyncedChanges): WrittenCounts {
	const present = new Set<string>();
	for (const value of room.messages.toArray()) {
		const id = parseMessage(value)?.id;
		if (id !== undefined) present.add(id);
	}
	const fresh = unsynced.messages.filter((message) => {
		if (present.has(message.id)) return false;
		present.add(message.id);
		return true;
	});
	for (const message of fresh) {
		room.messages.insert(placeInTime(room.messages, message.ts), [storedMessage(message)]);
	}

	let keys = 0;
	for (const [key, change] of unsynced.changes) {
		const current = parseChange(room.changes.get(key));
		if (current !== null && (current.deleted === true || current.ts >= change.ts)) continue;
		// Signed values keep their signature: it names the room, not the epoch.
		room.changes.set(key, storedChange(change));
		keys++;
	}
	for (const [key, reaction] of unsynced.reactions) {
		if (room.reactions.has(key)) continue;
		room.reactions.set(key, storedReaction(reaction));
		keys++;
	}
	for (const [key, ts] of unsynced.removedReactions) {
		// Only the value the user took back: one set again since (another ts) stays.
		if (parseReaction(room.reactions.get(key))?.ts !== ts) continue;
		room.reactions.delete(key);
		keys++;
	}
	if (unsynced.read !== null) {
		const current = parseReadMark(room.reads.get(unsynced.userId));
		if (current === null || current.ts < unsynced.read.ts) {
			room.reads.set(unsynced.userId, storedReadMark(unsynced.read));
			keys++;
		}
	}
	return { messages: fresh.length, keys };
}

/**
 * Where a message written at `ts` goes in the head's `messages`: after every message whose ts is
 * not later (ties keep arrival order), before the first later one after them. A message the
 * server never got keeps its place in time among the head's messages; sealed history is
 * immutable, so one older than all of them goes first in the head.
 */
export function placeInTime(messages: Y.Array<unknown>, ts: number): number {
	const values = messages.toArray();
	let index = values.length;
	while (index > 0) {
		const earlier = parseMessage(values[index - 1]);
		// A value the schema refuses has no time: it does not hold the message back.
		if (earlier !== null && earlier.ts <= ts) break;
		index--;
	}
	return index;
}

/** True when there is nothing to write again. */
export function isEmpty(unsynced: UnsyncedChanges): boolean {
	return (
		unsynced.messages.length === 0 &&
		unsynced.changes.length === 0 &&
		unsynced.reactions.length === 0 &&
		unsynced.removedReactions.length === 0 &&
		unsynced.read === null
	);
}

const SegmentInfoSchema = z.object({
	n: z.int().check(z.minimum(0)),
	epoch: z.int().check(z.minimum(0)),
	count: z.int().check(z.minimum(0)),
	firstId: z.string(),
	lastId: z.string()
});

/** `GET /api/rooms/:id/history`: the head's epoch and the sealed segments, oldest first. */
export const HistorySchema = z.object({
	epoch: z.int().check(z.minimum(0)),
	segments: z.array(SegmentInfoSchema)
});

export type SegmentInfo = z.infer<typeof SegmentInfoSchema>;
export type RoomHistory = z.infer<typeof HistorySchema>;

const EpochSchema = z.object({ epoch: z.int().check(z.minimum(0)), stateVector: z.string() });

/** A failed request: offline, the server away, or an answer that does not fit the contract. */
export class HistoryRequestError extends Error {
	override readonly name = 'HistoryRequestError';
	constructor(
		message: string,
		/** The HTTP status, or null when no answer came. */
		readonly status: number | null = null
	) {
		super(message);
	}
}

/** GETs JSON from our API; throws HistoryRequestError when that fails. */
export async function getJson(url: string): Promise<unknown> {
	let response: Response;
	try {
		response = await fetch(url, { headers: { accept: 'application/json' } });
	} catch (error) {
		throw new HistoryRequestError(`GET ${url}: ${String(error)}`);
	}
	if (!response.ok)
		throw new HistoryRequestError(`GET ${url}: ${response.status}`, response.status);
	return response.json();
}

export function roomPath(roomId: string): string {
	return `/api/rooms/${encodeURIComponent(roomId)}`;
}

export async function fetchHistory(roomId: string): Promise<RoomHistory> {
	const parsed = HistorySchema.safeParse(await getJson(`${roomPath(roomId)}/history`));
	if (!parsed.success) throw new HistoryRequestError('history: unexpected answer');
	return {
		epoch: parsed.data.epoch,
		segments: [...parsed.data.segments].sort((a, b) => a.n - b.n)
	};
}

/** The sealed epoch's state vector, decoded (clientID -> clock). */
export async function fetchSealedStateVector(
	roomId: string,
	epoch: number
): Promise<Map<number, number>> {
	const parsed = EpochSchema.safeParse(await getJson(`${roomPath(roomId)}/epochs/${epoch}`));
	if (!parsed.success || parsed.data.epoch !== epoch) {
		throw new HistoryRequestError('epoch: unexpected answer');
	}
	try {
		return Y.decodeStateVector(base64Bytes(parsed.data.stateVector));
	} catch {
		throw new HistoryRequestError('epoch: the state vector does not decode');
	}
}

export function base64Bytes(base64: string): Uint8Array {
	const binary = atob(base64);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}
