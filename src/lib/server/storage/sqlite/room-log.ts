/**
 * `storage.roomLog` on SQLite: per room an update log with gapless seqs (rooms.last_seq is the
 * head) after one compacted snapshot, the head's clientID claims with their high-water marks
 * (table client_ids), and sealing into history segments (docs/design.md, "History segments").
 * Every method is one transaction; writers take the write lock up front (IMMEDIATE), so two
 * processes sharing the file never read the same last_seq nor an epoch a seal is moving.
 */
import { UnknownRoomError } from '../errors';
import type {
	CommitItem,
	CommitOutcome,
	LoadedRoom,
	RoomLogSince,
	RoomLogStorage,
	SealRecord,
	StoredUpdate
} from '../types';
import { cachedStatement, type Db } from './db';

interface Head {
	last_seq: number;
	epoch: number;
	encrypted: number;
}

/** Buffers from SQLite become plain Uint8Array views (Yjs only needs Uint8Array). */
function bytes(buffer: Buffer): Uint8Array {
	return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The statements of the room log, prepared once per connection. */
function statements(db: Db) {
	const sql = <P extends unknown[], R = unknown>(text: string) => cachedStatement<P, R>(db, text);
	return {
		head: sql<[string], Head>('SELECT last_seq, epoch, encrypted FROM rooms WHERE id = ?'),
		setLastSeq: sql<[number, string]>('UPDATE rooms SET last_seq = ? WHERE id = ?'),
		setHead: sql<[number, number, string]>('UPDATE rooms SET last_seq = ?, epoch = ? WHERE id = ?'),
		// The gate checked the upload exists; one deleted since (garbage collection) is skipped.
		referenceFile: sql<[string]>(
			'INSERT OR IGNORE INTO file_refs (file_id) SELECT id FROM files WHERE id = ?'
		),
		insertUpdate: sql<[string, number, Uint8Array, number]>(
			'INSERT INTO room_updates (room_id, seq, data, created_at) VALUES (?, ?, ?, ?)'
		),
		snapshot: sql<[string], { data: Buffer; upto_seq: number }>(
			'SELECT data, upto_seq FROM room_snapshots WHERE room_id = ?'
		),
		logAfter: sql<[string, number], { seq: number; data: Buffer }>(
			'SELECT seq, data FROM room_updates WHERE room_id = ? AND seq > ? ORDER BY seq'
		),
		countLog: sql<[string], { n: number }>(
			'SELECT COUNT(*) AS n FROM room_updates WHERE room_id = ?'
		),
		// Only move a snapshot forward: another instance may have compacted further already.
		upsertSnapshot: sql<[string, Uint8Array, number, number]>(
			`INSERT INTO room_snapshots (room_id, data, upto_seq, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (room_id) DO UPDATE SET data = excluded.data, upto_seq = excluded.upto_seq,
			   updated_at = excluded.updated_at
			 WHERE excluded.upto_seq > room_snapshots.upto_seq`
		),
		deleteLogUpTo: sql<[string, number]>('DELETE FROM room_updates WHERE room_id = ? AND seq <= ?'),
		owners: sql<[string], { client_id: number; user_id: string }>(
			'SELECT client_id, user_id FROM client_ids WHERE room_id = ?'
		),
		claim: sql<[string, number, string, number]>(
			'INSERT OR IGNORE INTO client_ids (room_id, client_id, user_id, created_at) VALUES (?, ?, ?, ?)'
		),
		owner: sql<[string, number], { user_id: string }>(
			'SELECT user_id FROM client_ids WHERE room_id = ? AND client_id = ?'
		),
		marks: sql<[string], { client_id: number; max_clock: number }>(
			'SELECT client_id, max_clock FROM client_ids WHERE room_id = ? AND max_clock > 0'
		),
		raise: sql<[number, string, number]>(
			'UPDATE client_ids SET max_clock = max(max_clock, ?) WHERE room_id = ? AND client_id = ?'
		),
		// The gate's lookups for ids that left the head and for a message's files (rules 2 and 4).
		sealedAuthor: sql<[string, string], { author: string }>(
			'SELECT author FROM room_message_ids WHERE room_id = ? AND id = ?'
		),
		archived: sql<[string], { archived_at: number | null }>(
			'SELECT archived_at FROM rooms WHERE id = ?'
		),
		roomFile: sql<[string, string], { name: string; type: string; size: number }>(
			'SELECT name, type, size FROM files WHERE id = ? AND room_id = ?'
		),
		maxSegment: sql<[string], { n: number | null }>(
			'SELECT MAX(n) AS n FROM room_segments WHERE room_id = ?'
		),
		insertSegment: sql<[string, number, number, number, string, string, Uint8Array, number]>(
			`INSERT INTO room_segments (room_id, n, epoch, count, first_id, last_id, data, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		),
		insertMessageId: sql<[string, string, string]>(
			'INSERT OR IGNORE INTO room_message_ids (room_id, id, author) VALUES (?, ?, ?)'
		),
		insertEpoch: sql<[string, number, Uint8Array, number]>(
			'INSERT INTO room_epochs (room_id, epoch, state_vector, sealed_at) VALUES (?, ?, ?, ?)'
		),
		deleteLog: sql<[string]>('DELETE FROM room_updates WHERE room_id = ?'),
		deleteSnapshot: sql<[string]>('DELETE FROM room_snapshots WHERE room_id = ?'),
		deleteClaims: sql<[string]>('DELETE FROM client_ids WHERE room_id = ?'),
		lastSealedAt: sql<[string], { at: number | null }>(
			'SELECT MAX(sealed_at) AS at FROM room_epochs WHERE room_id = ?'
		)
	};
}

export function sqliteRoomLog(db: Db): RoomLogStorage {
	const q = statements(db);
	const headOf = (roomId: string): Head => {
		const head = q.head.get(roomId);
		if (!head) throw new UnknownRoomError(roomId);
		return head;
	};
	const marksOf = (roomId: string): Map<number, number> =>
		new Map(q.marks.all(roomId).map((row) => [row.client_id, row.max_clock]));
	const claim = (roomId: string, clientId: number, userId: string, now: number): string => {
		q.claim.run(roomId, clientId, userId, now);
		return q.owner.get(roomId, clientId)?.user_id ?? userId;
	};

	const load = db.transaction((roomId: string): LoadedRoom => {
		const head = headOf(roomId);
		const snapshot = q.snapshot.get(roomId);
		const updates: Uint8Array[] = snapshot ? [bytes(snapshot.data)] : [];
		const log = q.logAfter.all(roomId, snapshot?.upto_seq ?? 0);
		for (const row of log) updates.push(bytes(row.data));
		const sealedAt = head.epoch > 0 ? q.lastSealedAt.get(roomId)?.at : null;
		return {
			updates,
			seq: head.last_seq,
			epoch: head.epoch,
			logLength: q.countLog.get(roomId)?.n ?? 0,
			owners: new Map(q.owners.all(roomId).map((row) => [row.client_id, row.user_id])),
			highWater: marksOf(roomId),
			...(sealedAt != null ? { sealedAtMs: sealedAt } : {}),
			...(head.encrypted === 1 ? { encrypted: true } : {})
		};
	});

	/** Raises marks for claimed clientIDs (a clientID without a row is not raised). */
	const raiseMarks = (roomId: string, clocks: ReadonlyMap<number, number>) => {
		const raised = new Map<number, number>();
		for (const [clientId, clock] of clocks) {
			if (q.raise.run(clock, roomId, clientId).changes > 0) raised.set(clientId, clock);
		}
		return raised;
	};
	const raise = db.transaction(raiseMarks);

	const commit = db.transaction((batch: readonly CommitItem[], now: number): CommitOutcome[] => {
		const heads = new Map<string, Head>();
		const outcomes: CommitOutcome[] = [];
		for (const item of batch) {
			const { roomId, data } = item;
			let head = heads.get(roomId);
			if (head === undefined) {
				head = { ...headOf(roomId) };
				heads.set(roomId, head);
			}
			// Gated against a head that was sealed since: it must go into the new head instead.
			if (item.epoch !== undefined && item.epoch !== head.epoch) {
				outcomes.push({ status: 'stale-epoch' });
				continue;
			}
			const refused = claimAll(item, now);
			if (refused) {
				outcomes.push(refused);
				continue;
			}
			head.last_seq++;
			q.insertUpdate.run(roomId, head.last_seq, data, now);
			// After the claims: a clientID without a row is not raised.
			// Inside the commit's transaction: no savepoint per message.
			if (item.clocks) raiseMarks(roomId, item.clocks);
			for (const fileId of item.fileIds ?? []) q.referenceFile.run(fileId);
			outcomes.push({ status: 'stored', seq: head.last_seq, data });
		}
		for (const [roomId, head] of heads) q.setLastSeq.run(head.last_seq, roomId);
		return outcomes;
	});

	/** Claims the item's clientIDs; the refusal when one is someone else's. */
	function claimAll(item: CommitItem, now: number): CommitOutcome | null {
		const claims = item.claims ?? [];
		if (claims.length === 0) return null;
		const { userId } = item;
		if (userId === undefined) throw new TypeError('a commit item with claims needs its userId');
		for (const clientId of claims) {
			const owner = claim(item.roomId, clientId, userId, now);
			if (owner !== userId) return { status: 'claimed', clientId, owner };
		}
		return null;
	}

	const readSince = db.transaction((roomId: string, afterSeq: number): RoomLogSince => {
		const epoch = q.head.get(roomId)?.epoch ?? 0;
		const snapshot = q.snapshot.get(roomId);
		const updates: StoredUpdate[] = [];
		let from = afterSeq;
		// The log before upto_seq is gone; the snapshot stands in for it.
		if (snapshot && afterSeq < snapshot.upto_seq) {
			updates.push({ seq: snapshot.upto_seq, data: bytes(snapshot.data) });
			from = snapshot.upto_seq;
		}
		for (const row of q.logAfter.all(roomId, from)) {
			updates.push({ seq: row.seq, data: bytes(row.data) });
		}
		return { epoch, updates };
	});

	const compact = db.transaction(
		(roomId: string, uptoSeq: number, state: Uint8Array, epoch: number | undefined) => {
			// A head sealed meanwhile (elsewhere) is not this doc's any more: leave it alone.
			if (epoch !== undefined && q.head.get(roomId)?.epoch !== epoch) return;
			q.upsertSnapshot.run(roomId, state, uptoSeq, Date.now());
			q.deleteLogUpTo.run(roomId, uptoSeq);
		}
	);

	const seal = db.transaction(
		(roomId: string, expected: { epoch: number; lastSeq: number }, seal: SealRecord) => {
			const now = Date.now();
			const head = headOf(roomId);
			if (head.epoch !== expected.epoch || head.last_seq !== expected.lastSeq) return null;
			let n = (q.maxSegment.get(roomId)?.n ?? -1) + 1;
			for (const { count, firstId, lastId, data } of seal.segments) {
				q.insertSegment.run(roomId, n++, head.epoch, count, firstId, lastId, data, now);
			}
			for (const { id, author } of seal.messageIds) q.insertMessageId.run(roomId, id, author);
			q.insertEpoch.run(roomId, head.epoch, seal.stateVector, now);
			// The next head is the room's only state: its snapshot stands for seq last_seq + 1,
			// so every instance's next readSince / bus gap reaches it.
			const seq = head.last_seq + 1;
			q.deleteLog.run(roomId);
			q.deleteSnapshot.run(roomId);
			q.upsertSnapshot.run(roomId, seal.head, seq, now);
			q.setHead.run(seq, head.epoch + 1, roomId);
			// clientIDs are claimed per head (and their high-water marks with them).
			q.deleteClaims.run(roomId);
			return head.epoch + 1;
		}
	);

	return {
		async load(roomId) {
			return load(roomId);
		},
		async raiseHighWaterToState(roomId, committed) {
			const marks = marksOf(roomId);
			const behind = new Map<number, number>();
			for (const [clientId, clock] of committed) {
				if (clock > (marks.get(clientId) ?? 0)) behind.set(clientId, clock);
			}
			// Most loads find every mark in place: they take no write lock.
			if (behind.size === 0) return marks;
			for (const [clientId, clock] of raise(roomId, behind)) marks.set(clientId, clock);
			return marks;
		},
		async claim(roomId, clientId, userId) {
			return claim(roomId, clientId, userId, Date.now());
		},
		async commit(batch) {
			return batch.length === 0 ? [] : commit.immediate(batch, Date.now());
		},
		async readSince(roomId, afterSeq) {
			return readSince(roomId, afterSeq);
		},
		async compact(roomId, uptoSeq, state, epoch) {
			compact.immediate(roomId, uptoSeq, state, epoch);
		},
		async logLength(roomId) {
			return q.countLog.get(roomId)?.n ?? 0;
		},
		async seal(roomId, expected, record) {
			return seal.immediate(roomId, expected, record);
		},
		async sealedAuthorOf(roomId, messageId) {
			return q.sealedAuthor.get(roomId, messageId)?.author;
		},
		async isArchived(roomId) {
			const row = q.archived.get(roomId);
			return row !== undefined && row.archived_at !== null;
		},
		async roomFile(roomId, fileId) {
			return q.roomFile.get(fileId, roomId);
		}
	};
}
