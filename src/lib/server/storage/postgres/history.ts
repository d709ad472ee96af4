/** `storage.history` on PostgreSQL: sealed segments and epochs (tables room_segments, room_epochs). */
import type { HistoryStorage, SegmentInfo } from '../types';
import { bytes, type Sql } from './db';

export function postgresHistory(sql: Sql): HistoryStorage {
	return {
		async headEpoch(roomId) {
			const [row] = await sql<{ epoch: number }[]>`SELECT epoch FROM rooms WHERE id = ${roomId}`;
			return row?.epoch ?? null;
		},
		async segments(roomId) {
			return [
				...(await sql<SegmentInfo[]>`SELECT n, epoch, count, first_id AS "firstId",
					last_id AS "lastId" FROM room_segments WHERE room_id = ${roomId} ORDER BY n`)
			];
		},
		async segment(roomId, n) {
			const [row] = await sql<{ epoch: number; data: Uint8Array }[]>`SELECT epoch, data
				FROM room_segments WHERE room_id = ${roomId} AND n = ${n}`;
			return row ? { n, epoch: row.epoch, gzip: bytes(row.data) } : null;
		},
		async sealedStateVector(roomId, epoch) {
			const [row] = await sql<{ state_vector: Uint8Array }[]>`SELECT state_vector
				FROM room_epochs WHERE room_id = ${roomId} AND epoch = ${epoch}`;
			return row ? bytes(row.state_vector) : null;
		}
	};
}
