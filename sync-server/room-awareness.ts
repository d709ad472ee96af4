/**
 * A room's awareness (presence): the y-protocols Awareness, which connection speaks for which
 * awareness clientID (kept here only), the policy every client update passes, its rate limit,
 * and the pruning of removed clientIDs. Transport-free: changes leave through `onChange`.
 */
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { encodeAwareness } from './protocol';

/** Who sent an awareness update: the session's user and the awareness clientIDs it has set. */
export interface AwarenessSender {
	readonly userId: string;
	readonly username: string;
	readonly claimedClientIds: Set<number>;
}

/**
 * The single entry point for awareness updates from clients: returns the update to apply
 * (possibly rewritten, e.g. `user` forced from the session) or null to drop it.
 * @param owners the room's Yjs clientID -> user id claims (gate rule 5)
 */
export type AwarenessPolicy = (
	update: Uint8Array,
	sender: AwarenessSender,
	owners: ReadonlyMap<number, string>,
	/** Whether another connection in the room already speaks for this awareness clientID. */
	claimedElsewhere: (clientId: number) => boolean
) => Uint8Array | null;

/** What `accept` did with a client's update. */
export type AwarenessOutcome =
	/** Applied: these bytes were relayed. */
	| { readonly kind: 'applied'; readonly update: Uint8Array }
	/** Nothing of it may pass (the policy dropped it): no offence. */
	| { readonly kind: 'dropped' }
	/** Rule 6: too many states from this connection; it claimed nothing. */
	| { readonly kind: 'rate-limited' };

/** An awareness change: its encoded update, the connection it came from (if one), and whether the bus brought it. */
export type AwarenessListener<C> = (update: Uint8Array, from: C | null, fromBus: boolean) => void;

/** Marks a change made for a connection (y-protocols passes origins through untouched). */
class FromConnection<C> {
	constructor(readonly connection: C) {}
}

export class RoomAwareness<C extends object> {
	readonly awareness: awarenessProtocol.Awareness;
	/** Per connection, the awareness clientIDs it speaks for. */
	readonly #claims = new Map<C, Set<number>>();
	/** Awareness clientID -> the connection that speaks for it (the policy asks this, O(1)). */
	readonly #speakers = new Map<number, C>();
	readonly #policy: AwarenessPolicy;
	readonly #onChange: AwarenessListener<C>;

	constructor(doc: Y.Doc, policy: AwarenessPolicy, onChange: AwarenessListener<C>) {
		this.awareness = new awarenessProtocol.Awareness(doc);
		// The server holds no awareness state of its own.
		this.awareness.setLocalState(null);
		this.#policy = policy;
		this.#onChange = onChange;
		this.awareness.on('update', this.#onUpdate);
	}

	/** The awareness clientIDs `connection` speaks for. */
	idsOf(connection: C): ReadonlySet<number> {
		return this.#claims.get(connection) ?? new Set();
	}

	/**
	 * The one place client awareness enters the room.
	 * @param mayPublish rule 6: whether the connection may publish one more state now
	 */
	accept(
		connection: C,
		user: { readonly userId: string; readonly username: string },
		owners: ReadonlyMap<number, string>,
		update: Uint8Array,
		mayPublish: () => boolean
	): AwarenessOutcome {
		const claimed = this.#claimsOf(connection);
		const claimedBefore = new Set(claimed);
		const sender = { userId: user.userId, username: user.username, claimedClientIds: claimed };
		const claimedElsewhere = (clientId: number): boolean => {
			const speaker = this.#speakers.get(clientId);
			return speaker !== undefined && speaker !== connection;
		};
		const allowed = this.#policy(update, sender, owners, claimedElsewhere);
		// Rule 6: a stock client publishes its own state on typing changes and every 15 s; echoes
		// of others' states (dropped by the policy) cost only their bytes. A refused update
		// claims nothing.
		if (allowed && !mayPublish()) {
			for (const id of claimed) if (!claimedBefore.has(id)) claimed.delete(id);
			return { kind: 'rate-limited' };
		}
		// The policy records a first claim (usually one id per connection).
		for (const id of claimed) if (!this.#speakers.has(id)) this.#speakers.set(id, connection);
		if (!allowed) return { kind: 'dropped' };
		awarenessProtocol.applyAwarenessUpdate(this.awareness, allowed, new FromConnection(connection));
		return { kind: 'applied', update: allowed };
	}

	/** An update another instance relayed: applied, never published again. */
	applyFromBus(update: Uint8Array): void {
		awarenessProtocol.applyAwarenessUpdate(this.awareness, update, 'bus');
	}

	/** The connection left: its states are removed for everyone. */
	release(connection: C): void {
		const claimed = this.#claims.get(connection);
		this.#claims.delete(connection);
		if (!claimed || claimed.size === 0) return;
		for (const id of claimed) this.#releaseId(id, connection);
		awarenessProtocol.removeAwarenessStates(this.awareness, [...claimed], 'close');
	}

	/** All current states as one awareness frame, or null when there are none. */
	frame(): Uint8Array | null {
		const ids = [...this.awareness.getStates().keys()];
		if (ids.length === 0) return null;
		return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids));
	}

	destroy(): void {
		this.awareness.off('update', this.#onUpdate);
		this.awareness.destroy();
		this.#claims.clear();
		this.#speakers.clear();
	}

	#claimsOf(connection: C): Set<number> {
		let claimed = this.#claims.get(connection);
		if (!claimed) {
			claimed = new Set();
			this.#claims.set(connection, claimed);
		}
		return claimed;
	}

	#releaseId(clientId: number, connection: C): void {
		if (this.#speakers.get(clientId) === connection) this.#speakers.delete(clientId);
	}

	#onUpdate = (
		changes: { added: number[]; updated: number[]; removed: number[] },
		origin: unknown
	): void => {
		const { added, updated, removed } = changes;
		const from = origin instanceof FromConnection ? (origin.connection as C) : null;
		if (from !== null) {
			const claimed = this.#claimsOf(from);
			for (const id of added) {
				claimed.add(id);
				if (!this.#speakers.has(id)) this.#speakers.set(id, from);
			}
			for (const id of removed) {
				claimed.delete(id);
				this.#releaseId(id, from);
			}
		}
		const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, [
			...added,
			...updated,
			...removed
		]);
		// y-protocols keeps a removed clientID's clock in `meta` forever (so a late, older update
		// cannot bring it back); one socket cycling clientIDs would grow it without bound. The
		// removal is encoded above; forget the id now. A stale state it lets back in is removed
		// again by the awareness timeout (30 s).
		for (const id of removed) {
			if (!this.awareness.states.has(id)) this.awareness.meta.delete(id);
		}
		this.#onChange(update, from, origin === 'bus');
	};
}
