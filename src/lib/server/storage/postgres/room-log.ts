/**
 * `storage.roomLog` on PostgreSQL: the same log as SQLite's (../sqlite/room-log.ts), with the
 * same promises — a gapless seq per room identical on every instance, one transaction per batch,
 * nothing of a failed batch stored.
 *
 * How order is kept with several instances writing one room (docs/design.md "Storage"): every
 * writer of a room's head (commit, compact, seal) first takes the room ROW's lock
 * (`SELECT … FOR NO KEY UPDATE`, rooms in id order so two batches never deadlock), reads
 * last_seq and epoch under it, appends, and writes last_seq back before COMMIT. Writers of one
 * room queue on that lock; writers of other rooms never meet. NO KEY: inserts elsewhere that
 * only reference the room (memberships, files) do not wait for it. Readers take no lock; `load`
 * and `readSince` read one REPEATABLE READ snapshot.
 */
import { UnknownRoomError } from '../errors';
import type {
	CommitItem,
	CommitOutcome,
	LoadedRoom,
	RoomLogStorage,
	SealRecord,
	StoredUpdate
} from '../types';
import { bytes, type Sql, type Tx } from './db';

interface Head {
	id: string;
	last_seq: number;
	epoch: number;
}

const SNAPSHOT_READ = 'isolation level repeatable read read only';

/** The heads of the rooms, locked for writing, in id order. Throws for an unknown room. */
async function lockHeads(tx: Tx, roomIds: readonly string[]): Promise<Map<string, Head>> {
	const sorted = [...new Set(roomIds)].sort();
	const rows = await tx<Head[]>`SELECT id, last_seq, epoch FROM rooms
		WHERE id = ANY(${sorted}::text[]) ORDER BY id FOR NO KEY UPDATE`;
	const heads = new Map(rows.map((row) => [row.id, { ...row }]));
	for (const id of sorted) if (!heads.has(id)) throw new UnknownRoomError(id);
	return heads;
}

async function claimOne(
	tx: Sql | Tx,
	roomId: string,
	clientId: number,
	userId: string,
	now: number
): Promise<string> {
	await tx`INSERT INTO client_ids (room_id, client_id, user_id, created_at)
		VALUES (${roomId}, ${clientId}, ${userId}, ${now}) ON CONFLICT DO NOTHING`;
	const [row] = await tx<{ user_id: string }[]>`SELECT user_id FROM client_ids
		WHERE room_id = ${roomId} AND client_id = ${clientId}`;
	return row?.user_id ?? userId;
}

/** Raises marks of claimed clientIDs (a clientID without a row is not raised); the raised ones. */
function raise(tx: Sql | Tx, roomId: string, clocks: ReadonlyMap<number, number>) {
	const ids = [...clocks.keys()];
	const values = [...clocks.values()];
	return tx<{ client_id: number; clock: number }[]>`UPDATE client_ids c
		SET max_clock = GREATEST(c.max_clock, v.clock)
		FROM unnest(${ids}::bigint[], ${values}::bigint[]) AS v (client_id, clock)
		WHERE c.room_id = ${roomId} AND c.client_id = v.client_id
		RETURNING c.client_id, v.clock`;
}

async function marksOf(sql: Sql | Tx, roomId: string): Promise<Map<number, number>> {
	const rows = await sql<{ client_id: number; max_clock: number }[]>`
		SELECT client_id, max_clock FROM client_ids WHERE room_id = ${roomId} AND max_clock > 0`;
	return new Map(rows.map((row) => [row.client_id, row.max_clock]));
}

async function snapshotOf(sql: Tx, roomId: string) {
	const [row] = await sql<{ data: Uint8Array; upto_seq: number }[]>`
		SELECT data, upto_seq FROM room_snapshots WHERE room_id = ${roomId}`;
	return row;
}

function logAfter(sql: Tx, roomId: string, afterSeq: number) {
	return sql<{ seq: number; data: Uint8Array }[]>`SELECT seq, data FROM room_updates
		WHERE room_id = ${roomId} AND seq > ${afterSeq} ORDER BY seq`;
}

async function countLog(sql: Sql | Tx, roomId: string): Promise<number> {
	const [row] = await sql<{ n: number }[]>`SELECT count(*) AS n FROM room_updates
		WHERE room_id = ${roomId}`;
	return row?.n ?? 0;
}

/**
 * Queries sent without waiting (pipelined on the transaction's connection, run in order);
 * `settle` waits for all. Each is caught at once, so one failing while the caller awaits another
 * is never an unhandled rejection; `settle` rethrows the first failure.
 */
function pipeline() {
	const sent: Promise<unknown>[] = [];
	return {
		send(query: Promise<unknown>) {
			sent.push(Promise.resolve(query).then(() => undefined));
			query.catch(() => {});
		},
		async settle() {
			await Promise.all(sent);
		}
	};
}

export function postgresRoomLog(sql: Sql): RoomLogStorage {
	async function commitBatch(tx: Tx, batch: readonly CommitItem[], now: number) {
		const heads = await lockHeads(
			tx,
			batch.map((item) => item.roomId)
		);
		const outcomes: CommitOutcome[] = [];
		const writes = pipeline();
		for (const item of batch) {
			const head = heads.get(item.roomId);
			if (!head) throw new UnknownRoomError(item.roomId);
			if (item.epoch !== undefined && item.epoch !== head.epoch) {
				outcomes.push({ status: 'stale-epoch' });
				continue;
			}
			const refused = await claimAll(tx, item, now);
			if (refused) {
				outcomes.push(refused);
				continue;
			}
			head.last_seq++;
			writes.send(tx`INSERT INTO room_updates (room_id, seq, data, created_at)
				VALUES (${item.roomId}, ${head.last_seq}, ${item.data}, ${now})`);
			if (item.clocks && item.clocks.size > 0) writes.send(raise(tx, item.roomId, item.clocks));
			if (item.fileIds && item.fileIds.length > 0) {
				// The uploads a stored message names (garbage collection keeps them).
				writes.send(tx`INSERT INTO file_refs (file_id)
					SELECT id FROM files WHERE id = ANY(${[...item.fileIds]}::text[])
					ON CONFLICT DO NOTHING`);
			}
			outcomes.push({ status: 'stored', seq: head.last_seq, data: item.data });
		}
		for (const head of heads.values()) {
			writes.send(tx`UPDATE rooms SET last_seq = ${head.last_seq} WHERE id = ${head.id}`);
		}
		await writes.settle();
		return outcomes;
	}

	/** Claims the item's clientIDs in order; the refusal when one is someone else's. */
	async function claimAll(tx: Tx, item: CommitItem, now: number): Promise<CommitOutcome | null> {
		const claims = item.claims ?? [];
		if (claims.length === 0) return null;
		const { userId } = item;
		if (userId === undefined) throw new TypeError('a commit item with claims needs its userId');
		for (const clientId of claims) {
			const owner = await claimOne(tx, item.roomId, clientId, userId, now);
			if (owner !== userId) return { status: 'claimed', clientId, owner };
		}
		return null;
	}

	return {
		async load(roomId) {
			return sql.begin(SNAPSHOT_READ, async (tx): Promise<LoadedRoom> => {
				const [head] = await tx<{ last_seq: number; epoch: number; encrypted: boolean }[]>`
					SELECT last_seq, epoch, encrypted FROM rooms WHERE id = ${roomId}`;
				if (!head) throw new UnknownRoomError(roomId);
				const snapshot = await snapshotOf(tx, roomId);
				const updates: Uint8Array[] = snapshot ? [bytes(snapshot.data)] : [];
				for (const row of await logAfter(tx, roomId, snapshot?.upto_seq ?? 0)) {
					updates.push(bytes(row.data));
				}
				const owners = await tx<{ client_id: number; user_id: string }[]>`
					SELECT client_id, user_id FROM client_ids WHERE room_id = ${roomId}`;
				const [sealed] =
					head.epoch > 0
						? await tx<{ at: number | null }[]>`SELECT max(sealed_at) AS at FROM room_epochs
							WHERE room_id = ${roomId}`
						: [];
				return {
					updates,
					seq: head.last_seq,
					epoch: head.epoch,
					logLength: await countLog(tx, roomId),
					owners: new Map(owners.map((row) => [row.client_id, row.user_id])),
					highWater: await marksOf(tx, roomId),
					...(sealed?.at != null ? { sealedAtMs: sealed.at } : {}),
					...(head.encrypted ? { encrypted: true } : {})
				};
			});
		},
		async raiseHighWaterToState(roomId, committed) {
			const marks = await marksOf(sql, roomId);
			const behind = new Map<number, number>();
			for (const [clientId, clock] of committed) {
				if (clock > (marks.get(clientId) ?? 0)) behind.set(clientId, clock);
			}
			if (behind.size === 0) return marks;
			for (const row of await raise(sql, roomId, behind)) marks.set(row.client_id, row.clock);
			return marks;
		},
		async claim(roomId, clientId, userId) {
			return claimOne(sql, roomId, clientId, userId, Date.now());
		},
		async commit(batch) {
			if (batch.length === 0) return [];
			return sql.begin((tx) => commitBatch(tx, batch, Date.now()));
		},
		async readSince(roomId, afterSeq) {
			return sql.begin(SNAPSHOT_READ, async (tx) => {
				const [head] = await tx<{ epoch: number }[]>`SELECT epoch FROM rooms WHERE id = ${roomId}`;
				const snapshot = await snapshotOf(tx, roomId);
				const updates: StoredUpdate[] = [];
				let from = afterSeq;
				if (snapshot && afterSeq < snapshot.upto_seq) {
					updates.push({ seq: snapshot.upto_seq, data: bytes(snapshot.data) });
					from = snapshot.upto_seq;
				}
				for (const row of await logAfter(tx, roomId, from)) {
					updates.push({ seq: row.seq, data: bytes(row.data) });
				}
				return { epoch: head?.epoch ?? 0, updates };
			});
		},
		async compact(roomId, uptoSeq, state, epoch) {
			await sql.begin(async (tx) => {
				const [head] = await tx<{ epoch: number }[]>`SELECT epoch FROM rooms
					WHERE id = ${roomId} FOR NO KEY UPDATE`;
				if (epoch !== undefined && head?.epoch !== epoch) return;
				await tx`INSERT INTO room_snapshots (room_id, data, upto_seq, updated_at)
					VALUES (${roomId}, ${state}, ${uptoSeq}, ${Date.now()})
					ON CONFLICT (room_id) DO UPDATE SET data = excluded.data,
						upto_seq = excluded.upto_seq, updated_at = excluded.updated_at
					WHERE excluded.upto_seq > room_snapshots.upto_seq`;
				await tx`DELETE FROM room_updates WHERE room_id = ${roomId} AND seq <= ${uptoSeq}`;
			});
		},
		logLength: (roomId) => countLog(sql, roomId),
		async seal(roomId, expected, record: SealRecord) {
			return sql.begin(async (tx) => {
				const now = Date.now();
				const head = (await lockHeads(tx, [roomId])).get(roomId);
				if (!head || head.epoch !== expected.epoch || head.last_seq !== expected.lastSeq) {
					return null;
				}
				const [max] = await tx<{ n: number | null }[]>`SELECT max(n) AS n FROM room_segments
					WHERE room_id = ${roomId}`;
				let n = (max?.n ?? -1) + 1;
				const writes = pipeline();
				for (const { count, firstId, lastId, data } of record.segments) {
					writes.send(tx`INSERT INTO room_segments
						(room_id, n, epoch, count, first_id, last_id, data, created_at)
						VALUES (${roomId}, ${n++}, ${head.epoch}, ${count}, ${firstId}, ${lastId}, ${data}, ${now})`);
				}
				if (record.messageIds.length > 0) {
					writes.send(tx`INSERT INTO room_message_ids (room_id, id, author)
						SELECT ${roomId}, m.id, m.author
						FROM unnest(${record.messageIds.map((m) => m.id)}::text[],
							${record.messageIds.map((m) => m.author)}::text[]) AS m (id, author)
						ON CONFLICT DO NOTHING`);
				}
				writes.send(tx`INSERT INTO room_epochs (room_id, epoch, state_vector, sealed_at)
					VALUES (${roomId}, ${head.epoch}, ${record.stateVector}, ${now})`);
				// The next head is the room's only state, standing for seq last_seq + 1.
				const seq = head.last_seq + 1;
				writes.send(tx`DELETE FROM room_updates WHERE room_id = ${roomId}`);
				writes.send(tx`DELETE FROM room_snapshots WHERE room_id = ${roomId}`);
				writes.send(tx`INSERT INTO room_snapshots (room_id, data, upto_seq, updated_at)
					VALUES (${roomId}, ${record.head}, ${seq}, ${now})`);
				writes.send(tx`UPDATE rooms SET last_seq = ${seq}, epoch = ${head.epoch + 1}
					WHERE id = ${roomId}`);
				writes.send(tx`DELETE FROM client_ids WHERE room_id = ${roomId}`);
				await writes.settle();
				return head.epoch + 1;
			});
		},
		async sealedAuthorOf(roomId, messageId) {
			const [row] = await sql<{ author: string }[]>`SELECT author FROM room_message_ids
				WHERE room_id = ${roomId} AND id = ${messageId}`;
			return row?.author;
		},
		async roomFile(roomId, fileId) {
			const [row] = await sql<{ name: string; type: string; size: number }[]>`
				SELECT name, type, size FROM files WHERE id = ${fileId} AND room_id = ${roomId}`;
			return row ? { name: row.name, type: row.type, size: row.size } : undefined;
		},
		async isArchived(roomId) {
			const [row] = await sql<{ archived_at: number | null }[]>`
				SELECT archived_at FROM rooms WHERE id = ${roomId}`;
			return row !== undefined && row.archived_at !== null;
		}
	};
}
