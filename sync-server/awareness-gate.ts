/**
 * The awareness gate: what a client may say about presence. An awareness update (y-protocols
 * encoding: varUint count, then per entry varUint clientID, varUint clock, JSON state string)
 * is rewritten so that each connection speaks only for its own awareness clientID and only
 * as its session's user. Pure apart from recording the connection's first clientID in
 * `conn.claimedClientIds` (the connection's own state, passed in by the caller).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export interface AwarenessConnection {
	readonly userId: string;
	readonly username: string;
	/** The awareness clientIDs this connection speaks for (filled here on first use). */
	readonly claimedClientIds: Set<number>;
}

/** The only state a client may publish; `user` always comes from the session. */
export interface AwarenessState {
	readonly user: { readonly id: string; readonly name: string };
	readonly typing?: boolean;
}

/**
 * @param owners the room's Yjs clientID -> user id claims (gate rule 5)
 * @param claimedElsewhere awareness clientIDs other connections in the room speak for
 * @returns the update to apply and relay, or null when nothing of it may pass
 */
export function sanitizeAwarenessUpdate(
	update: Uint8Array,
	conn: AwarenessConnection,
	owners: ReadonlyMap<number, string>,
	claimedElsewhere: (clientId: number) => boolean = () => false
): Uint8Array | null {
	let entries: { clientId: number; clock: number; json: string }[];
	try {
		entries = decodeEntries(update);
	} catch {
		return null;
	}
	const kept: { clientId: number; clock: number; state: AwarenessState | null }[] = [];
	for (const { clientId, clock, json } of entries) {
		const owner = owners.get(clientId);
		if (owner !== undefined && owner !== conn.userId) continue;
		if (claimedElsewhere(clientId)) continue;
		let state: unknown;
		try {
			state = JSON.parse(json);
		} catch {
			continue;
		}
		if (state !== null && (typeof state !== 'object' || Array.isArray(state))) continue;
		if (!conn.claimedClientIds.has(clientId)) {
			// A connection is one Y.Doc, so one awareness clientID: the first it sets. Stock
			// y-websocket clients also echo other peers' states back; those are not theirs.
			if (conn.claimedClientIds.size > 0 || state === null) continue;
			if (claimsAnotherUser(state, conn.userId)) continue;
			conn.claimedClientIds.add(clientId);
		}
		kept.push({ clientId, clock, state: state === null ? null : sanitizeState(state, conn) });
	}
	if (kept.length === 0) return null;
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, kept.length);
	for (const { clientId, clock, state } of kept) {
		encoding.writeVarUint(encoder, clientId);
		encoding.writeVarUint(encoder, clock);
		encoding.writeVarString(encoder, JSON.stringify(state));
	}
	return encoding.toUint8Array(encoder);
}

function decodeEntries(update: Uint8Array): { clientId: number; clock: number; json: string }[] {
	const decoder = decoding.createDecoder(update);
	const count = decoding.readVarUint(decoder);
	const entries = [];
	for (let i = 0; i < count; i++) {
		const clientId = decoding.readVarUint(decoder);
		const clock = decoding.readVarUint(decoder);
		const json = decoding.readVarString(decoder);
		entries.push({ clientId, clock, json });
	}
	return entries;
}

/** The state names a user (other than the sender): an echo of someone else's presence. */
function claimsAnotherUser(state: object, userId: string): boolean {
	const user: unknown = (state as { user?: unknown }).user;
	if (typeof user !== 'object' || user === null) return false;
	const id: unknown = (user as { id?: unknown }).id;
	return id !== undefined && id !== userId;
}

function sanitizeState(state: object, conn: AwarenessConnection): AwarenessState {
	const typing: unknown = (state as { typing?: unknown }).typing;
	return {
		user: { id: conn.userId, name: conn.username },
		...(typeof typing === 'boolean' ? { typing } : {})
	};
}
