/**
 * Gate rule 5's memory: which user first wrote with each Yjs clientID in a room (table
 * client_ids). Kept in SQLite so the claim survives restarts and holds across instances.
 */
import type { Db } from '../src/lib/server/db';

export class ClientIdClaims {
	readonly #select;
	readonly #insert;
	readonly #owner;

	constructor(db: Db) {
		this.#select = db.prepare<[string], { client_id: number; user_id: string }>(
			'SELECT client_id, user_id FROM client_ids WHERE room_id = ?'
		);
		this.#insert = db.prepare<[string, number, string, number]>(
			'INSERT OR IGNORE INTO client_ids (room_id, client_id, user_id, created_at) VALUES (?, ?, ?, ?)'
		);
		this.#owner = db.prepare<[string, number], { user_id: string }>(
			'SELECT user_id FROM client_ids WHERE room_id = ? AND client_id = ?'
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
}
