/**
 * Delivery status of messages: pending (only in this browser) or stored (durable on the server).
 *
 * The sync server sends message type 100 (MessageType.STORED in $lib/protocol/wire) whose payload is a
 * state vector: for each clientID listed, every struct with clock < value is committed to its
 * store. We keep the maximum seen per clientID, and the set of clientIDs this browser has
 * written with in the room (a reload gives the doc a new clientID, but the old messages keep
 * theirs). Everything not written from this browser came through the server, so it is stored.
 */
import * as Y from 'yjs';

export type Delivery = 'pending' | 'stored';

/** clientID -> every clock below this value is stored on the server. */
export type StoredClocks = ReadonlyMap<number, number>;

export interface DeliveryState {
	readonly stored: StoredClocks;
	/** The clientIDs this browser has written messages with in this room. */
	readonly ownClients: ReadonlySet<number>;
}

export const EMPTY_DELIVERY_STATE: DeliveryState = { stored: new Map(), ownClients: new Set() };

/** The position of a value in the Yjs document: its struct's client and clock. */
export interface ItemId {
	readonly client: number;
	readonly clock: number;
}

export interface ArrayEntry<T> extends ItemId {
	readonly value: T;
}

/** Decodes the payload of a type-100 message (bytes encoded like Y.encodeStateVector). */
export function decodeStoredClocks(payload: Uint8Array): Map<number, number> {
	return Y.decodeStateVector(payload);
}

/** The per-client maximum of both; returns `current` itself when nothing grew. */
export function mergeStoredClocks(current: StoredClocks, incoming: StoredClocks): StoredClocks {
	let merged: Map<number, number> | null = null;
	for (const [client, clock] of incoming) {
		if (clock > (current.get(client) ?? 0)) {
			merged ??= new Map(current);
			merged.set(client, clock);
		}
	}
	return merged ?? current;
}

export function deliveryOf(id: ItemId, state: DeliveryState): Delivery {
	if (!state.ownClients.has(id.client)) return 'stored';
	return id.clock < (state.stored.get(id.client) ?? 0) ? 'stored' : 'pending';
}

/**
 * Every live value of a Y.Array with the id of the struct that holds it. Yjs keeps several
 * consecutive values of one client in one item; value i of an item has clock item.clock + i.
 */
export function readArrayEntries<T>(array: Y.Array<T>): ArrayEntry<T>[] {
	const entries: ArrayEntry<T>[] = [];
	for (let item = array._start; item !== null; item = item.right) {
		if (item.deleted || !item.countable) continue;
		const values = item.content.getContent();
		values.forEach((value: T, index) => {
			entries.push({ value, client: item.id.client, clock: item.id.clock + index });
		});
	}
	return entries;
}

function isClockPair(value: unknown): value is [number, number] {
	return (
		Array.isArray(value) &&
		value.length === 2 &&
		Number.isSafeInteger(value[0]) &&
		Number.isSafeInteger(value[1])
	);
}

/** Reads the state saved by `serializeDeliveryState`; anything unreadable counts as empty. */
export function parseDeliveryState(raw: string | null): DeliveryState {
	if (raw === null) return EMPTY_DELIVERY_STATE;
	try {
		const data: unknown = JSON.parse(raw);
		if (typeof data !== 'object' || data === null) return EMPTY_DELIVERY_STATE;
		const { stored, own } = data as { stored?: unknown; own?: unknown };
		return {
			stored: new Map(Array.isArray(stored) ? stored.filter(isClockPair) : []),
			ownClients: new Set(Array.isArray(own) ? own.filter((c) => Number.isSafeInteger(c)) : [])
		};
	} catch {
		return EMPTY_DELIVERY_STATE;
	}
}

export function serializeDeliveryState(state: DeliveryState): string {
	return JSON.stringify({ stored: [...state.stored], own: [...state.ownClients] });
}

/** The state after the server reported these stored clocks. */
export function withStoredClocks(state: DeliveryState, stored: StoredClocks): DeliveryState {
	const merged = mergeStoredClocks(state.stored, stored);
	return merged === state.stored ? state : { stored: merged, ownClients: state.ownClients };
}

/** The state after this browser wrote with `client`. */
export function withOwnClient(state: DeliveryState, client: number): DeliveryState {
	if (state.ownClients.has(client)) return state;
	return { stored: state.stored, ownClients: new Set([...state.ownClients, client]) };
}

/** Both states together: the maximum stored clocks and the union of own clients. */
export function mergeDeliveryStates(a: DeliveryState, b: DeliveryState): DeliveryState {
	const stored = mergeStoredClocks(a.stored, b.stored);
	const missing = [...b.ownClients].some((client) => !a.ownClients.has(client));
	const ownClients = missing ? new Set([...a.ownClients, ...b.ownClients]) : a.ownClients;
	return stored === a.stored && ownClients === a.ownClients ? a : { stored, ownClients };
}
