/**
 * `storage.roomLog` (src/lib/server/storage/types.ts) over the synchronous SQLite store and
 * clientID claims: each method one transaction, as the interface says. A bridge until the
 * storage branch's SQLite `Storage` takes its place; the sync core sees only `RoomLogPort`.
 */
import type {
	CommitItem,
	CommitOutcome,
	LoadedRoom,
	RoomLogStorage
} from '../src/lib/server/storage/types';
import type { ClientIdClaims } from './client-ids';
import type { Store } from './types';

/**
 * What a room needs to go live. `sealedAtMs` (when the previous epoch was sealed, for
 * SEAL_MIN_INTERVAL_MS) is not in the storage interface yet: absent, the interval starts at
 * the room's load.
 */
export interface LoadedHead extends LoadedRoom {
	readonly sealedAtMs?: number;
}

/** The room log as the sync core uses it: `storage.roomLog` satisfies it. */
export interface RoomLogPort extends Omit<RoomLogStorage, 'load'> {
	load(roomId: string): Promise<LoadedHead>;
}

/** Runs `work` now and hands its result or error over as a promise. */
function settle<T>(work: () => T): Promise<T> {
	try {
		return Promise.resolve(work());
	} catch (error) {
		return Promise.reject(error as Error);
	}
}

export function createSqliteRoomLog(store: Store, claims: ClientIdClaims): RoomLogPort {
	const commit = (batch: readonly CommitItem[]): CommitOutcome[] =>
		claims.transaction(() => {
			const refused: (CommitOutcome | null)[] = batch.map((item) => {
				for (const clientId of item.claims ?? []) {
					const owner = claims.claim(item.roomId, clientId, item.userId ?? '');
					if (owner !== item.userId) return { status: 'claimed', clientId, owner };
				}
				return null;
			});
			const appended = store.append(batch.filter((_, index) => refused[index] === null));
			let next = 0;
			return batch.map((item, index): CommitOutcome => {
				const outcome = refused[index];
				if (outcome) return outcome;
				const entry = appended[next++];
				if (entry === undefined) throw new Error('store.append returned too few entries');
				if (entry === null) return { status: 'stale-epoch' };
				if (item.clocks) claims.raiseHighWater(item.roomId, item.clocks);
				return { status: 'stored', seq: entry.seq, data: entry.data };
			});
		});
	return {
		load: (roomId) =>
			settle(() =>
				claims.transaction((): LoadedHead => {
					const state = store.loadRoom(roomId);
					return {
						updates: state.updates,
						seq: state.seq,
						epoch: state.epoch,
						logLength: store.logLength(roomId),
						owners: claims.load(roomId),
						highWater: claims.loadHighWater(roomId),
						...(state.sealedAtMs !== undefined ? { sealedAtMs: state.sealedAtMs } : {})
					};
				})
			),
		raiseHighWaterToState: (roomId, committed) =>
			settle(() => claims.loadHighWaterAfterLoad(roomId, committed)),
		claim: (roomId, clientId, userId) => settle(() => claims.claim(roomId, clientId, userId)),
		commit: (batch) => settle(() => commit(batch)),
		readSince: (roomId, afterSeq) => settle(() => store.readSince(roomId, afterSeq)),
		compact: (roomId, uptoSeq, state, epoch) =>
			settle(() => store.compact(roomId, uptoSeq, state, epoch)),
		logLength: (roomId) => settle(() => store.logLength(roomId)),
		seal: (roomId, expected, seal) =>
			settle(() => store.seal(roomId, expected, { ...seal, messageCount: seal.messageIds.length })),
		sealedAuthorOf: (roomId, messageId) => settle(() => store.sealedAuthorOf(roomId, messageId)),
		roomFile: (roomId, fileId) => settle(() => store.roomFile(roomId, fileId))
	};
}
