/**
 * `storage.roomLog.commit` over the synchronous SQLite store and clientID claims: the claims,
 * the append and the high-water marks commit together (healing). A bridge until the storage
 * branch's SQLite implementation of `Storage` takes its place.
 */
import type { CommitItem, CommitOutcome } from '../src/lib/server/storage/types';
import type { ClientIdClaims } from './client-ids';
import type { RoomLogWriter } from './commit-log';
import type { Store } from './types';

export function createRoomLogWriter(store: Store, claims: ClientIdClaims): RoomLogWriter {
	const commit = (batch: readonly CommitItem[]): CommitOutcome[] =>
		claims.transaction(() => {
			const outcomes: (CommitOutcome | null)[] = batch.map((item) => {
				for (const clientId of item.claims ?? []) {
					const owner = claims.claim(item.roomId, clientId, item.userId ?? '');
					if (owner !== item.userId) return { status: 'claimed', clientId, owner };
				}
				return null;
			});
			const toAppend = batch.filter((_, index) => outcomes[index] === null);
			const appended = store.append(toAppend);
			let next = 0;
			return batch.map((item, index): CommitOutcome => {
				const refused = outcomes[index];
				if (refused) return refused;
				const entry = appended[next++];
				if (entry === undefined) throw new Error('store.append returned too few entries');
				if (entry === null) return { status: 'stale-epoch' };
				if (item.clocks) claims.raiseHighWater(item.roomId, item.clocks);
				return { status: 'stored', seq: entry.seq, data: entry.data };
			});
		});
	return {
		commit(batch) {
			try {
				return Promise.resolve(commit(batch));
			} catch (error) {
				return Promise.reject(error as Error);
			}
		}
	};
}
