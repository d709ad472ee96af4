/**
 * The durable Store on SQLite (better-sqlite3): a per-room update log with gapless seqs
 * (rooms.last_seq is the head) and one compacted snapshot per room.
 */
import type { Db } from '../src/lib/server/db';
import type { RoomState, Store, StoredUpdate } from './types';

interface SnapshotRow {
	data: Buffer;
	upto_seq: number;
}

interface LogRow {
	seq: number;
	data: Buffer;
}

/** Buffers from SQLite become plain Uint8Array views (Yjs only needs Uint8Array). */
function bytes(buffer: Buffer): Uint8Array {
	return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The room is not in `rooms` (never created, or deleted): nothing can be stored for it. */
export class UnknownRoomError extends Error {
	override name = 'UnknownRoomError';
	constructor(readonly roomId: string) {
		super(`no room ${roomId}`);
	}
}

export class SqliteStore implements Store {
	readonly #db: Db;
	readonly #lastSeq;
	readonly #setLastSeq;
	readonly #insertUpdate;
	readonly #snapshot;
	readonly #logAfter;
	readonly #upsertSnapshot;
	readonly #deleteLogUpTo;
	readonly #countLog;

	constructor(db: Db) {
		this.#db = db;
		this.#lastSeq = db.prepare<[string], { last_seq: number }>(
			'SELECT last_seq FROM rooms WHERE id = ?'
		);
		this.#setLastSeq = db.prepare<[number, string]>('UPDATE rooms SET last_seq = ? WHERE id = ?');
		this.#insertUpdate = db.prepare<[string, number, Uint8Array, number]>(
			'INSERT INTO room_updates (room_id, seq, data, created_at) VALUES (?, ?, ?, ?)'
		);
		this.#snapshot = db.prepare<[string], SnapshotRow>(
			'SELECT data, upto_seq FROM room_snapshots WHERE room_id = ?'
		);
		this.#logAfter = db.prepare<[string, number], LogRow>(
			'SELECT seq, data FROM room_updates WHERE room_id = ? AND seq > ? ORDER BY seq'
		);
		// Only move a snapshot forward: another instance may have compacted further already.
		this.#upsertSnapshot = db.prepare<[string, Uint8Array, number, number]>(
			`INSERT INTO room_snapshots (room_id, data, upto_seq, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (room_id) DO UPDATE SET data = excluded.data, upto_seq = excluded.upto_seq,
			   updated_at = excluded.updated_at
			 WHERE excluded.upto_seq > room_snapshots.upto_seq`
		);
		this.#deleteLogUpTo = db.prepare<[string, number]>(
			'DELETE FROM room_updates WHERE room_id = ? AND seq <= ?'
		);
		this.#countLog = db.prepare<[string], { n: number }>(
			'SELECT COUNT(*) AS n FROM room_updates WHERE room_id = ?'
		);
	}

	loadRoom(roomId: string): RoomState {
		// One read transaction: the snapshot, the log and last_seq are one consistent picture
		// even while another process appends.
		return this.#db.transaction((): RoomState => {
			const head = this.#lastSeq.get(roomId);
			if (!head) throw new UnknownRoomError(roomId);
			const snapshot = this.#snapshot.get(roomId);
			const updates: Uint8Array[] = snapshot ? [bytes(snapshot.data)] : [];
			for (const row of this.#logAfter.all(roomId, snapshot?.upto_seq ?? 0)) {
				updates.push(bytes(row.data));
			}
			return { updates, seq: head.last_seq };
		})();
	}

	append(batch: readonly { roomId: string; data: Uint8Array }[]): StoredUpdate[] {
		if (batch.length === 0) return [];
		const now = Date.now();
		// IMMEDIATE takes the write lock up front, so two processes never read the same last_seq.
		return this.#db
			.transaction((): StoredUpdate[] => {
				const heads = new Map<string, number>();
				const stored: StoredUpdate[] = [];
				for (const { roomId, data } of batch) {
					let head = heads.get(roomId);
					if (head === undefined) {
						const row = this.#lastSeq.get(roomId);
						if (!row) throw new UnknownRoomError(roomId);
						head = row.last_seq;
					}
					const seq = head + 1;
					this.#insertUpdate.run(roomId, seq, data, now);
					heads.set(roomId, seq);
					stored.push({ seq, data });
				}
				for (const [roomId, seq] of heads) this.#setLastSeq.run(seq, roomId);
				return stored;
			})
			.immediate();
	}

	readSince(roomId: string, afterSeq: number): StoredUpdate[] {
		return this.#db.transaction((): StoredUpdate[] => {
			const snapshot = this.#snapshot.get(roomId);
			const result: StoredUpdate[] = [];
			let from = afterSeq;
			// The log before upto_seq is gone; the snapshot stands in for it.
			if (snapshot && afterSeq < snapshot.upto_seq) {
				result.push({ seq: snapshot.upto_seq, data: bytes(snapshot.data) });
				from = snapshot.upto_seq;
			}
			for (const row of this.#logAfter.all(roomId, from)) {
				result.push({ seq: row.seq, data: bytes(row.data) });
			}
			return result;
		})();
	}

	compact(roomId: string, uptoSeq: number, state: Uint8Array): void {
		this.#db
			.transaction(() => {
				this.#upsertSnapshot.run(roomId, state, uptoSeq, Date.now());
				this.#deleteLogUpTo.run(roomId, uptoSeq);
			})
			.immediate();
	}

	logLength(roomId: string): number {
		return this.#countLog.get(roomId)?.n ?? 0;
	}
}
