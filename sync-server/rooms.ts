/**
 * The room hub: loads rooms on first connection, unloads idle ones, and runs the group commit.
 * Every update accepted during one event-loop turn, in any room, is appended in ONE store
 * transaction (scheduled with setImmediate); only after it commits do rooms forward, publish
 * and send receipts. A failed commit keeps the queue and retries with backoff.
 */
import { CloseCode } from '../src/lib/protocol/wire';
import type { ClientIdClaims } from './client-ids';
import type { Logger } from './logger';
import {
	Room,
	type AwarenessPolicy,
	type Connection,
	type ConnectionUser,
	type PendingUpdate,
	type RoomConfig,
	type RoomContext,
	type RoomMetrics,
	type UpdateAdmission
} from './room';
import type { SearchIndexer } from './search-indexer';
import { UnknownRoomError } from './store';
import type { Bus, Store, SyncSocket, Unsubscribe } from './types';
import type { UserBudgets } from './user-budget';

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5_000;
/**
 * A room loaded past SEAL_AFTER_MESSAGES is sealed before its first connection is served; if
 * other instances keep moving it meanwhile, give up after this many tries and serve it as is
 * (its next flush seals it).
 */
const LOAD_SEAL_ATTEMPTS = 3;
/**
 * How often every loaded room re-reads its members and closes non-members' sockets: a safety
 * net for a `revoke` bus message lost while Redis was down (revocations are not in the log).
 */
/**
 * Committed updates are indexed for search at most this long after their commit, many per
 * SQLite transaction: one transaction per commit cost more than the rest of the hot path.
 */
const INDEX_BATCH_MS = 100;

export const MEMBERSHIP_CHECK_INTERVAL_MS = 30_000;

export interface RoomHubOptions {
	readonly store: Store;
	readonly bus: Bus;
	readonly claims: ClientIdClaims;
	readonly config: RoomConfig;
	readonly log: Logger;
	/** Where the gate plugs in its awareness rules; default: accept as sent. */
	readonly awarenessPolicy?: AwarenessPolicy;
	/** Where the per-connection rate limit (gate rule 6) plugs in; default: no limit. */
	readonly admitUpdate?: UpdateAdmission;
	/** The per-connection awareness rate limit (gate rule 6); default: no limit. */
	readonly admitAwareness?: UpdateAdmission;
	/** The per-user budgets (gate rule 6); default: none. */
	readonly budgets?: UserBudgets;
	/** Wall-clock ms for the time between seals; default: Date.now. */
	readonly nowMs?: () => number;
	readonly metrics?: RoomMetrics;
	/**
	 * The room's current member ids (one query per room). With it, the hub re-checks the
	 * membership of every connected user on each bus resync and every
	 * `membershipCheckIntervalMs`; without it (unit tests), never.
	 */
	readonly members?: (roomId: string) => ReadonlySet<string>;
	/** Default: MEMBERSHIP_CHECK_INTERVAL_MS. */
	readonly membershipCheckIntervalMs?: number;
	/**
	 * The message search index (design.md "Search"), fed off the hot path: each group commit's
	 * updates, and a whole room after it loads when the index has nothing of it. Each instance
	 * indexes only what it committed itself (the index lives in the shared SQLite).
	 */
	readonly indexer?: SearchIndexer;
}

export class RoomHub {
	readonly rooms = new Map<string, Room>();
	readonly #ctx: RoomContext;
	#queue: PendingUpdate[] = [];
	#flushScheduled = false;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#retryDelayMs = 0;
	readonly #unsubscribeResync: Unsubscribe;
	readonly #unsubscribeControl: Unsubscribe;
	readonly #members: ((roomId: string) => ReadonlySet<string>) | undefined;
	readonly #membershipTimer: ReturnType<typeof setInterval> | undefined;
	readonly #indexer: SearchIndexer | undefined;
	#indexQueue: { roomId: string; data: Uint8Array }[] = [];
	#indexTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(options: RoomHubOptions) {
		this.#ctx = {
			store: options.store,
			bus: options.bus,
			claims: options.claims,
			config: options.config,
			log: options.log,
			awarenessPolicy: options.awarenessPolicy ?? ((update) => update),
			admitUpdate: options.admitUpdate ?? (() => () => true),
			admitAwareness: options.admitAwareness,
			budgets: options.budgets,
			nowMs: options.nowMs ?? (() => Date.now()),
			metrics: options.metrics,
			enqueue: (update) => this.#enqueue(update),
			unloaded: (room) => {
				if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
				options.metrics?.roomsLoaded.set(this.rooms.size);
			},
			// The new head's `changes` items are the origins of the next edits: the search index
			// must know their keys (its sealed messages stay indexed as they are).
			sealed: (room, seal) => {
				this.#indexer?.indexCommitted([{ roomId: room.id, data: seal.head }]);
			}
		};
		this.#members = options.members;
		this.#indexer = options.indexer;
		this.#unsubscribeResync = options.bus.onResync(() => {
			for (const room of this.rooms.values()) room.catchUp();
			// A `revoke` published while we were cut off never reaches us: ask SQLite instead.
			this.recheckMemberships();
		});
		this.#unsubscribeControl = options.bus.onControl((message) => {
			if (message.kind === 'session-ended') this.#closeSession(message.sessionId);
		});
		if (this.#members) {
			this.#membershipTimer = setInterval(
				() => this.recheckMemberships(),
				options.membershipCheckIntervalMs ?? MEMBERSHIP_CHECK_INTERVAL_MS
			);
			this.#membershipTimer.unref();
		}
	}

	/** Closes (4403) every socket whose user is no longer a member of its room. */
	recheckMemberships(): void {
		if (!this.#members) return;
		for (const room of this.rooms.values()) {
			if (room.connections.size === 0) continue;
			let members: ReadonlySet<string>;
			try {
				members = this.#members(room.id);
			} catch (error) {
				this.#ctx.log.error({ err: error, roomId: room.id }, 'membership re-check failed');
				continue;
			}
			for (const connection of [...room.connections]) {
				if (!members.has(connection.user.userId)) {
					connection.close(CloseCode.FORBIDDEN, 'membership revoked');
				}
			}
		}
	}

	/** Updates accepted in memory, not yet committed. */
	get pendingCount(): number {
		return this.#queue.length;
	}

	/**
	 * Attaches an authorized socket to its room, loading the room if needed. `epoch` is the
	 * client's replica's (the upgrade's `?epoch=`): if it is not the head's, the socket is
	 * closed at once with 4409. Absent (stock clients): the head is served.
	 */
	connect(roomId: string, socket: SyncSocket, user: ConnectionUser, epoch?: number): Connection {
		let room = this.rooms.get(roomId);
		if (room && epoch !== undefined && epoch > room.epoch) {
			// The client knows of a seal this instance has not heard of yet (its bus message is
			// still on the way): ask the store rather than send it away with 4409 again and again.
			room.catchUp();
			if (room.gone) room = undefined;
		}
		if (!room) {
			room = this.#load(roomId);
			this.rooms.set(roomId, room);
			this.#ctx.metrics?.roomsLoaded.set(this.rooms.size);
			this.#indexIfMissing(room);
		}
		return room.addConnection(socket, user, epoch);
	}

	/**
	 * Loads a room; one already past SEAL_AFTER_MESSAGES (e.g. a long room from before history
	 * segments) is sealed first and its small new head loaded instead: a one-time cost, logged.
	 */
	#load(roomId: string): Room {
		let room = new Room(roomId, this.#ctx);
		for (let attempt = 0; attempt < LOAD_SEAL_ATTEMPTS && room.sealDue; attempt++) {
			const started = performance.now();
			const messages = room.doc.getArray('messages').length;
			// The head's messages leave the doc: index them first if the index never saw them.
			const indexer = this.#indexer;
			if (indexer && !indexer.isRoomIndexed(roomId)) indexer.reindexRoom(roomId, room.doc);
			const outcome = room.seal(false);
			if (room.gone) room = new Room(roomId, this.#ctx);
			if (outcome === 'sealed') {
				this.#ctx.log.info(
					{ roomId, messages, ms: Math.round(performance.now() - started) },
					'room sealed on load'
				);
			} else if (outcome === 'skipped') {
				break;
			}
		}
		return room;
	}

	/** Membership revoked here: close the user's local sockets now, and tell other instances. */
	revoke(roomId: string, userId: string): void {
		this.rooms.get(roomId)?.closeUser(userId, CloseCode.FORBIDDEN, 'membership revoked');
		this.#ctx.bus.publish({ kind: 'revoke', roomId, userId });
	}

	/** A session ended (logout) in this process: close its sockets with 4401, on every instance. */
	endSession(sessionId: string): void {
		this.#closeSession(sessionId);
		this.#ctx.bus.publish({ kind: 'session-ended', sessionId });
	}

	#closeSession(sessionId: string): void {
		for (const room of this.rooms.values()) {
			room.closeSession(sessionId, CloseCode.UNAUTHORIZED, 'logged out');
		}
	}

	/** Commits the queue in one transaction. Returns false if it failed (a retry is scheduled). */
	flush(): boolean {
		this.#flushScheduled = false;
		clearTimeout(this.#retryTimer);
		this.#retryTimer = undefined;
		const batch = this.#queue;
		if (batch.length === 0) return true;
		let stored;
		const endTimer = this.#ctx.metrics?.storeCommitSeconds.startTimer();
		try {
			// The append and the clientIDs' high-water marks commit together (healing). Each
			// update carries its room's epoch: one gated against a head sealed since is not stored.
			stored = this.#ctx.claims.transaction(() => {
				const entries = this.#ctx.store.append(
					batch.map((item) => ({ roomId: item.room.id, data: item.data, epoch: item.room.epoch }))
				);
				batch.forEach((item, index) => {
					if (entries[index]) this.#ctx.claims.raiseHighWater(item.room.id, item.clocks);
				});
				return entries;
			});
			endTimer?.();
		} catch (error) {
			this.#commitFailed(error);
			return false;
		}
		this.#queue = [];
		this.#retryDelayMs = 0;
		const touched = new Set<Room>();
		const stale = new Set<Room>();
		const committed: PendingUpdate[] = [];
		batch.forEach((item, index) => {
			const entry = stored[index];
			if (entry === undefined) {
				throw new Error('store.append returned fewer entries than it was given');
			}
			if (entry === null) {
				// Never acknowledged nor forwarded: the clients re-send it into the new head.
				item.room.discard();
				stale.add(item.room);
				return;
			}
			item.room.committed(item, entry);
			touched.add(item.room);
			committed.push(item);
		});
		this.#ctx.metrics?.updatesAccepted.inc(committed.length);
		for (const room of stale) {
			this.#ctx.log.info(
				{ roomId: room.id, epoch: room.epoch },
				'updates of a sealed head dropped'
			);
			room.epochChanged();
		}
		for (const room of touched) room.flushed();
		if (this.#indexer) {
			// The gate-reduced bytes, exactly what was committed; indexed in batches, off the hot path.
			for (const item of committed) {
				this.#indexQueue.push({ roomId: item.room.id, data: item.data });
			}
			this.#indexTimer ??= setTimeout(() => this.#indexPending(), INDEX_BATCH_MS);
		}
		return true;
	}

	/** Indexes what was committed since the last batch, in one transaction. */
	#indexPending(): void {
		clearTimeout(this.#indexTimer);
		this.#indexTimer = undefined;
		const queued = this.#indexQueue;
		this.#indexQueue = [];
		if (queued.length > 0) this.#indexer?.indexCommitted(queued);
	}

	/**
	 * A room written before the indexer ran (or while it was down) is rebuilt from its whole
	 * document after the load, off the hot path, once nothing in it is uncommitted.
	 */
	#indexIfMissing(room: Room): void {
		const indexer = this.#indexer;
		if (!indexer || indexer.isRoomIndexed(room.id)) return;
		const reindex = (): void => {
			if (!room.doc.isDestroyed) indexer.reindexRoom(room.id, room.doc);
		};
		setImmediate(() => {
			if (room.pending === 0) reindex();
			else room.whenCommitted(() => setImmediate(reindex));
		});
	}

	/** SIGTERM: commit what is pending, snapshot every room, close every socket (1012). */
	async shutdown(): Promise<void> {
		this.flush();
		this.#indexPending();
		for (const room of this.rooms.values()) {
			room.compact();
			room.closeAll(CloseCode.SERVICE_RESTART, 'server restarting');
			room.destroy();
		}
		this.rooms.clear();
		this.#ctx.metrics?.roomsLoaded.set(0);
		this.#unsubscribeResync();
		this.#unsubscribeControl();
		clearInterval(this.#membershipTimer);
		clearTimeout(this.#retryTimer);
	}

	#enqueue(update: PendingUpdate): void {
		this.#queue.push(update);
		// While a retry is waiting, new updates simply join its batch.
		if (this.#flushScheduled || this.#retryTimer) return;
		this.#flushScheduled = true;
		setImmediate(() => this.flush());
	}

	#commitFailed(error: unknown): void {
		if (error instanceof UnknownRoomError) {
			// The room was deleted under us: its updates can never commit. Drop them, close it.
			const roomId = error.roomId;
			const dropped = this.#queue.filter((item) => item.room.id === roomId);
			this.#queue = this.#queue.filter((item) => item.room.id !== roomId);
			for (const item of dropped) item.room.discard();
			this.rooms.get(roomId)?.closeAll(CloseCode.FORBIDDEN, 'room deleted');
			this.#ctx.log.warn({ roomId, dropped: dropped.length }, 'room deleted; updates dropped');
			this.#retryTimer = setTimeout(() => this.flush(), 0);
			return;
		}
		this.#retryDelayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.#retryDelayMs * 2));
		this.#ctx.log.error(
			{ err: error, pending: this.#queue.length, retryInMs: this.#retryDelayMs },
			'commit failed; will retry'
		);
		this.#retryTimer = setTimeout(() => this.flush(), this.#retryDelayMs);
	}
}
