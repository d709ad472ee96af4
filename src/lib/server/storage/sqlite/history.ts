/** `storage.history` on SQLite: sealed segments and epochs (tables room_segments, room_epochs). */
import type { HistoryStorage, SegmentInfo } from '../types';
import { cachedStatement, type Db } from './db';

export function sqliteHistory(db: Db): HistoryStorage {
	return {
		async headEpoch(roomId) {
			return (
				cachedStatement<[string], { epoch: number }>(
					db,
					'SELECT epoch FROM rooms WHERE id = ?'
				).get(roomId)?.epoch ?? null
			);
		},
		async segments(roomId) {
			return cachedStatement<[string], SegmentInfo>(
				db,
				`SELECT n, epoch, count, first_id AS firstId, last_id AS lastId
				 FROM room_segments WHERE room_id = ? ORDER BY n`
			).all(roomId);
		},
		async segment(roomId, n) {
			const row = cachedStatement<[string, number], { epoch: number; data: Buffer }>(
				db,
				'SELECT epoch, data FROM room_segments WHERE room_id = ? AND n = ?'
			).get(roomId, n);
			return row ? { n, epoch: row.epoch, gzip: row.data } : null;
		},
		async sealedStateVector(roomId, epoch) {
			const row = cachedStatement<[string, number], { state_vector: Buffer }>(
				db,
				'SELECT state_vector FROM room_epochs WHERE room_id = ? AND epoch = ?'
			).get(roomId, epoch);
			return row ? row.state_vector : null;
		}
	};
}
