/**
 * The durable Store on SQLite (better-sqlite3): a per-room update log with gapless seqs
 * (rooms.last_seq is the head) and one compacted snapshot per room; sealing moves a head's
 * messages into history segments and starts the next epoch (docs/design.md, "History segments").
 */
import type { Db } from '../src/lib/server/db';
import type { UploadedFile } from './gate';
import type { Seal } from './seal';
import {
	UnknownRoomError,
	type AppendItem,
	type RoomLog,
	type RoomState,
	type Store,
	type StoredUpdate
} from './types';

export { UnknownRoomError };

interface SnapshotRow {
	data: Buffer;
	upto_seq: number;
}

interface HeadRow {
	last_seq: number;
	epoch: number;
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
export class SqliteStore implements Store {
	readonly #db: Db;
	readonly #head;
	readonly #setLastSeq;
	readonly #insertUpdate;
	readonly #snapshot;
	readonly #logAfter;
	readonly #upsertSnapshot;
	readonly #deleteLogUpTo;
	readonly #countLog;
	readonly #sealedAuthor;
	readonly #roomFile;
	readonly #lastSealedAt;
	readonly #seal;

	constructor(db: Db) {
		this.#db = db;
		this.#head = db.prepare<[string], HeadRow>('SELECT last_seq, epoch FROM rooms WHERE id = ?');
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
		// The gate's lookup for ids that left the head (rules 2 and 4): one primary-key probe.
		this.#sealedAuthor = db.prepare<[string, string], { author: string }>(
			'SELECT author FROM room_message_ids WHERE room_id = ? AND id = ?'
		);
		// The gate's lookup for a message's files (rule 2): one primary-key probe each.
		this.#roomFile = db.prepare<[string, string], UploadedFile>(
			'SELECT name, type, size FROM files WHERE id = ? AND room_id = ?'
		);
		this.#lastSealedAt = db.prepare<[string], { at: number | null }>(
			'SELECT MAX(sealed_at) AS at FROM room_epochs WHERE room_id = ?'
		);
		this.#seal = sealStatements(db);
	}

	loadRoom(roomId: string): RoomState {
		// One read transaction: the snapshot, the log and last_seq are one consistent picture
		// even while another process appends.
		return this.#db.transaction((): RoomState => {
			const head = this.#head.get(roomId);
			if (!head) throw new UnknownRoomError(roomId);
			const snapshot = this.#snapshot.get(roomId);
			const updates: Uint8Array[] = snapshot ? [bytes(snapshot.data)] : [];
			for (const row of this.#logAfter.all(roomId, snapshot?.upto_seq ?? 0)) {
				updates.push(bytes(row.data));
			}
			const sealedAt = head.epoch > 0 ? this.#lastSealedAt.get(roomId)?.at : null;
			return {
				updates,
				seq: head.last_seq,
				epoch: head.epoch,
				...(sealedAt != null ? { sealedAtMs: sealedAt } : {})
			};
		})();
	}

	append(batch: readonly AppendItem[]): (StoredUpdate | null)[] {
		if (batch.length === 0) return [];
		const now = Date.now();
		// IMMEDIATE takes the write lock up front, so two processes never read the same last_seq
		// (nor an epoch that a seal is about to move).
		return this.#db
			.transaction((): (StoredUpdate | null)[] => {
				const heads = new Map<string, HeadRow>();
				const moved = new Set<string>();
				const stored: (StoredUpdate | null)[] = [];
				for (const { roomId, data, epoch } of batch) {
					let head = heads.get(roomId);
					if (head === undefined) {
						const row = this.#head.get(roomId);
						if (!row) throw new UnknownRoomError(roomId);
						head = { ...row };
						heads.set(roomId, head);
					}
					// Gated against a head that was sealed since: it must go into the new head instead.
					if (epoch !== undefined && epoch !== head.epoch) {
						stored.push(null);
						continue;
					}
					head.last_seq++;
					moved.add(roomId);
					this.#insertUpdate.run(roomId, head.last_seq, data, now);
					stored.push({ seq: head.last_seq, data });
				}
				for (const roomId of moved) {
					const head = heads.get(roomId);
					if (head) this.#setLastSeq.run(head.last_seq, roomId);
				}
				return stored;
			})
			.immediate();
	}

	readSince(roomId: string, afterSeq: number): RoomLog {
		return this.#db.transaction((): RoomLog => {
			const epoch = this.#head.get(roomId)?.epoch ?? 0;
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
			return { epoch, updates: result };
		})();
	}

	compact(roomId: string, uptoSeq: number, state: Uint8Array, epoch?: number): void {
		this.#db
			.transaction(() => {
				// A head sealed meanwhile (elsewhere) is not this doc's any more: leave it alone.
				if (epoch !== undefined && this.#head.get(roomId)?.epoch !== epoch) return;
				this.#upsertSnapshot.run(roomId, state, uptoSeq, Date.now());
				this.#deleteLogUpTo.run(roomId, uptoSeq);
			})
			.immediate();
	}

	logLength(roomId: string): number {
		return this.#countLog.get(roomId)?.n ?? 0;
	}

	sealedAuthorOf(roomId: string, messageId: string): string | undefined {
		return this.#sealedAuthor.get(roomId, messageId)?.author;
	}

	roomFile(roomId: string, fileId: string): UploadedFile | undefined {
		return this.#roomFile.get(fileId, roomId);
	}

	seal(roomId: string, expected: { epoch: number; lastSeq: number }, seal: Seal): number | null {
		const q = this.#seal;
		const now = Date.now();
		return this.#db
			.transaction((): number | null => {
				const head = this.#head.get(roomId);
				if (!head) throw new UnknownRoomError(roomId);
				if (head.epoch !== expected.epoch || head.last_seq !== expected.lastSeq) return null;
				let n = (q.maxSegment.get(roomId)?.n ?? -1) + 1;
				for (const segment of seal.segments) {
					const { count, firstId, lastId, data } = segment;
					q.insertSegment.run(roomId, n++, head.epoch, count, firstId, lastId, data, now);
				}
				for (const { id, author } of seal.messageIds) q.insertMessageId.run(roomId, id, author);
				q.insertEpoch.run(roomId, head.epoch, seal.stateVector, now);
				// The next head is the room's only state: its snapshot stands for seq last_seq + 1,
				// so every instance's next readSince / bus gap reaches it.
				const seq = head.last_seq + 1;
				q.deleteLog.run(roomId);
				q.deleteSnapshot.run(roomId);
				q.insertSnapshot.run(roomId, seal.head, seq, now);
				q.setHead.run(seq, head.epoch + 1, roomId);
				// clientIDs are claimed per head (and their high-water marks with them).
				q.deleteClientIds.run(roomId);
				return head.epoch + 1;
			})
			.immediate();
	}
}

function sealStatements(db: Db) {
	return {
		maxSegment: db.prepare<[string], { n: number | null }>(
			'SELECT MAX(n) AS n FROM room_segments WHERE room_id = ?'
		),
		insertSegment: db.prepare<[string, number, number, number, string, string, Uint8Array, number]>(
			`INSERT INTO room_segments (room_id, n, epoch, count, first_id, last_id, data, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		),
		insertMessageId: db.prepare<[string, string, string]>(
			'INSERT OR IGNORE INTO room_message_ids (room_id, id, author) VALUES (?, ?, ?)'
		),
		insertEpoch: db.prepare<[string, number, Uint8Array, number]>(
			'INSERT INTO room_epochs (room_id, epoch, state_vector, sealed_at) VALUES (?, ?, ?, ?)'
		),
		deleteLog: db.prepare<[string]>('DELETE FROM room_updates WHERE room_id = ?'),
		deleteSnapshot: db.prepare<[string]>('DELETE FROM room_snapshots WHERE room_id = ?'),
		insertSnapshot: db.prepare<[string, Uint8Array, number, number]>(
			'INSERT INTO room_snapshots (room_id, data, upto_seq, updated_at) VALUES (?, ?, ?, ?)'
		),
		setHead: db.prepare<[number, number, string]>(
			'UPDATE rooms SET last_seq = ?, epoch = ? WHERE id = ?'
		),
		deleteClientIds: db.prepare<[string]>('DELETE FROM client_ids WHERE room_id = ?')
	};
}
