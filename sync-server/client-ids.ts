/**
 * Gate rule 5's memory: which user first wrote with each Yjs clientID in a room (table
 * client_ids), and how far the server has ever committed that clientID's structs there
 * (max_clock, the high-water mark that lets a replica heal a room: docs/design.md, "Healing").
 * Kept in SQLite, apart from the room data, so claims and marks survive restarts, hold across
 * instances, and outlive a loss or restore of room_updates / room_snapshots.
 */
import type { Db } from '../src/lib/server/db';

export class ClientIdClaims {
	readonly #db: Db;
	readonly #select;
	readonly #insert;
	readonly #owner;
	readonly #selectMarks;
	readonly #raise;

	constructor(db: Db) {
		this.#db = db;
		this.#select = db.prepare<[string], { client_id: number; user_id: string }>(
			'SELECT client_id, user_id FROM client_ids WHERE room_id = ?'
		);
		this.#insert = db.prepare<[string, number, string, number]>(
			'INSERT OR IGNORE INTO client_ids (room_id, client_id, user_id, created_at) VALUES (?, ?, ?, ?)'
		);
		this.#owner = db.prepare<[string, number], { user_id: string }>(
			'SELECT user_id FROM client_ids WHERE room_id = ? AND client_id = ?'
		);
		this.#selectMarks = db.prepare<[string], { client_id: number; max_clock: number }>(
			'SELECT client_id, max_clock FROM client_ids WHERE room_id = ? AND max_clock > 0'
		);
		this.#raise = db.prepare<[number, string, number]>(
			'UPDATE client_ids SET max_clock = max(max_clock, ?) WHERE room_id = ? AND client_id = ?'
		);
	}

	/** Every claimed clientID in the room -> its owner's user id. */
	load(roomId: string): Map<number, string> {
		return new Map(this.#select.all(roomId).map((row) => [row.client_id, row.user_id]));
	}

	/**
	 * Claims `clientId` for `userId` unless someone already has it (perhaps on another
	 * instance, unknown to our in-memory map). Returns the owner after the attempt.
	 */
	claim(roomId: string, clientId: number, userId: string): string {
		this.#insert.run(roomId, clientId, userId, Date.now());
		return this.#owner.get(roomId, clientId)?.user_id ?? userId;
	}

	/** The room's high-water marks: clientID -> clock below which the server committed it. */
	loadHighWater(roomId: string): Map<number, number> {
		return new Map(this.#selectMarks.all(roomId).map((row) => [row.client_id, row.max_clock]));
	}

	/**
	 * The marks for a room just loaded from the store, raised to `committed` (the loaded doc's
	 * state vector: everything in it was committed). This fills in marks the table lacks: rows
	 * from before max_clock existed, or a crash between an append and its mark in a store that
	 * does not share our transaction.
	 */
	loadHighWaterAfterLoad(
		roomId: string,
		committed: ReadonlyMap<number, number>
	): Map<number, number> {
		const marks = this.loadHighWater(roomId);
		const behind = new Map<number, number>();
		for (const [clientId, clock] of committed) {
			if (clock > (marks.get(clientId) ?? 0)) behind.set(clientId, clock);
		}
		if (behind.size === 0) return marks;
		this.transaction(() => {
			for (const [clientId, clock] of behind) {
				// Only claimed clientIDs have a row (and only they can be relayed).
				if (this.#raise.run(clock, roomId, clientId).changes > 0) marks.set(clientId, clock);
			}
		});
		return marks;
	}

	/**
	 * Raises the marks of `clocks` (clientID -> clock after its last committed struct). Call it
	 * inside the transaction that appends the update (see `transaction`), after the clientIDs
	 * were claimed: a clientID without a row is not raised.
	 */
	raiseHighWater(roomId: string, clocks: ReadonlyMap<number, number>): void {
		for (const [clientId, clock] of clocks) this.#raise.run(clock, roomId, clientId);
	}

	/**
	 * Runs `work` in one SQLite transaction on this database (a store's own transaction on the
	 * same database nests inside as a savepoint): the append and the marks commit together.
	 */
	transaction<T>(work: () => T): T {
		return this.#db.transaction(work)();
	}
}
