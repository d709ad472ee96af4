/**
 * The room hub: loads rooms on first connection, unloads idle ones, closes sockets whose access
 * ended, and builds the commit log the rooms hand their updates to (commit-log.ts: group
 * commit, then the bus publisher, the search indexer and the rooms hear what is durable).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SignatureServices } from './gate-lookups';
import { CloseCode } from '../src/lib/protocol/wire';
import type { Logger } from './logger';
import type { UpdateAdmission } from './admission';
import { CommitLog, type Durable } from './commit-log';
import type { Connection, ConnectionUser } from './connection';
import {
	Room,
	type PendingUpdate,
	type RoomConfig,
	type RoomContext,
	type RoomMetrics
} from './room';
import type { AwarenessPolicy } from './room-awareness';
import { publishDurable } from './room-bus';
import type { RoomLogPort } from './room-log';
import type { SearchIndexer } from './search-indexer';
import { PACED_BYTES_PER_TURN, TurnPacer } from './turn-pacer';
import type { Bus, SyncSocket, Unsubscribe } from './types';
import type { UserBudgets } from './user-budget';
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
/** The membership re-check reads this many rooms per event-loop turn, for the same reason. */
export const MEMBERSHIP_CHECK_CHUNK = 50;

export const MEMBERSHIP_CHECK_INTERVAL_MS = 30_000;

export interface RoomHubOptions {
	/** The room log: `storage.roomLog` (loading, commits, catch-up, compaction, seals). */
	readonly roomLog: RoomLogPort;
	/** Gate rule 7's device keys and REQUIRE_SIGNATURES; absent (unit tests): not checked. */
	readonly signatures?: Omit<SignatureServices, 'nowMs'>;
	readonly bus: Bus;
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
	readonly members?: (roomId: string) => Promise<ReadonlySet<string>> | ReadonlySet<string>;
	/** Default: MEMBERSHIP_CHECK_INTERVAL_MS. */
	readonly membershipCheckIntervalMs?: number;
	/**
	 * The message search index (design.md "Search"), fed off the hot path: each group commit's
	 * updates, and a whole room after it loads when the index has nothing of it. Each instance
	 * indexes only what it committed itself (the index lives in the shared SQLite).
	 */
	readonly indexer?: SearchIndexer;
	/** Hears every durable commit after the bus publisher (the summary feed's one hook). */
	readonly onDurable?: (entries: readonly Durable<PendingUpdate>[]) => void;
}

export class RoomHub {
	readonly rooms = new Map<string, Room>();
	readonly #ctx: RoomContext;
	readonly #commits: CommitLog<PendingUpdate>;
	/** Rooms being loaded: every socket that asks meanwhile waits for the same load. */
	readonly #loading = new Map<string, Promise<Room>>();
	readonly #unsubscribeResync: Unsubscribe;
	readonly #unsubscribeControl: Unsubscribe;
	readonly #members: RoomHubOptions['members'];
	readonly #membershipTimer: ReturnType<typeof setInterval> | undefined;
	readonly #indexer: SearchIndexer | undefined;
	#indexQueue: { roomId: string; data: Uint8Array }[] = [];
	#indexTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(options: RoomHubOptions) {
		this.#commits = new CommitLog<PendingUpdate>({
			writer: options.roomLog,
			log: options.log,
			metrics: options.metrics
		});
		// What is durable: published to the other instances, then indexed (off the hot path).
		this.#commits.onCommit(publishDurable(options.bus));
		if (options.onDurable) this.#commits.onCommit(options.onDurable);
		if (options.indexer) {
			this.#commits.onCommit((entries) => {
				// The gate-reduced bytes, exactly what was committed; indexed in batches.
				for (const { item } of entries) {
					this.#indexQueue.push({ roomId: item.roomId, data: item.data });
				}
				this.#indexTimer ??= setTimeout(() => void this.#indexPending(), INDEX_BATCH_MS);
			});
		}
		this.#ctx = {
			roomLog: options.roomLog,
			signatures: options.signatures && {
				...options.signatures,
				nowMs: options.nowMs ?? (() => Date.now())
			},
			bus: options.bus,
			commits: this.#commits,
			config: options.config,
			log: options.log,
			awarenessPolicy: options.awarenessPolicy ?? ((update) => update),
			admission: {
				admitUpdate: options.admitUpdate ?? (() => () => true),
				admitAwareness: options.admitAwareness,
				budgets: options.budgets
			},
			nowMs: options.nowMs ?? (() => Date.now()),
			metrics: options.metrics,
			pacer: new TurnPacer({
				budgetPerTurn: PACED_BYTES_PER_TURN,
				onError: (error) => options.log.error({ err: error }, 'paced sync answer failed')
			}),
			unloaded: (room) => {
				if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
				options.metrics?.roomsLoaded.set(this.rooms.size);
			},
			// The new head's `changes` items are the origins of the next edits: the search index
			// must know their keys (its sealed messages stay indexed as they are).
			sealed: (room, seal) => {
				void this.#indexer?.indexCommitted([{ roomId: room.id, data: seal.head }]);
			}
		};
		this.#members = options.members;
		this.#indexer = options.indexer;
		this.#unsubscribeResync = options.bus.onResync(() => {
			for (const room of this.rooms.values()) void room.catchUp();
			// A `revoke` published while we were cut off never reaches us: ask storage instead.
			void this.recheckMemberships();
		});
		this.#unsubscribeControl = options.bus.onControl((message) => {
			if (message.kind === 'session-ended') this.#closeSession(message.sessionId);
			else if (message.kind === 'room-settings')
				void this.rooms.get(message.roomId)?.settingsChanged();
			else if (message.kind === 'profile') this.#rename(message.userId, message.displayName);
		});
		if (this.#members) {
			this.#membershipTimer = setInterval(
				() => void this.recheckMemberships(),
				options.membershipCheckIntervalMs ?? MEMBERSHIP_CHECK_INTERVAL_MS
			);
			this.#membershipTimer.unref();
		}
	}

	/** Closes (4403) every socket whose user is no longer a member of its room. */
	async recheckMemberships(): Promise<void> {
		if (!this.#members) return;
		let read = 0;
		for (const room of [...this.rooms.values()]) {
			if (room.connections.size === 0) continue;
			if (++read % MEMBERSHIP_CHECK_CHUNK === 0) await nextTurn();
			let members: ReadonlySet<string>;
			try {
				members = await this.#members(room.id);
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
		return this.#commits.pendingCount;
	}

	/**
	 * Attaches an authorized socket to its room, loading the room if needed. `epoch` is the
	 * client's replica's (the upgrade's `?epoch=`): if it is not the head's, the socket is
	 * closed at once with 4409. Absent (stock clients): the head is served.
	 */
	async connect(
		roomId: string,
		socket: SyncSocket,
		user: ConnectionUser,
		epoch?: number
	): Promise<Connection> {
		let room = await this.#room(roomId);
		if (epoch !== undefined && epoch > room.epoch) {
			// The client knows of a seal this instance has not heard of yet (its bus message is
			// still on the way): ask the room log rather than send it away with 4409 again and again.
			await room.catchUp();
			if (room.gone) room = await this.#room(roomId);
		}
		return room.addConnection(socket, user, epoch);
	}

	/** The live room, loading it (once, however many sockets ask meanwhile) if needed. */
	#room(roomId: string): Promise<Room> {
		const live = this.rooms.get(roomId);
		if (live && !live.gone) return Promise.resolve(live);
		let loading = this.#loading.get(roomId);
		if (!loading) {
			loading = this.#load(roomId).finally(() => this.#loading.delete(roomId));
			this.#loading.set(roomId, loading);
		}
		return loading;
	}

	/**
	 * Loads a room; one already past SEAL_AFTER_MESSAGES (e.g. a long room from before history
	 * segments) is sealed first and its small new head loaded instead: a one-time cost, logged.
	 */
	async #load(roomId: string): Promise<Room> {
		let room = await Room.load(roomId, this.#ctx);
		for (let attempt = 0; attempt < LOAD_SEAL_ATTEMPTS && room.sealDue; attempt++) {
			const started = performance.now();
			const messages = room.doc.getArray('messages').length;
			// The head's messages leave the doc: index them first if the index never saw them.
			const indexer = this.#indexer;
			// (reindexRoom reads the doc at the call; its write finishes off the load path.)
			if (indexer && !(await indexer.isRoomIndexed(roomId))) {
				void indexer.reindexRoom(roomId, room.doc);
			}
			const outcome = await room.seal(false);
			if (room.gone) room = await Room.load(roomId, this.#ctx);
			if (outcome === 'sealed') {
				this.#ctx.log.info(
					{ roomId, messages, ms: Math.round(performance.now() - started) },
					'room sealed on load'
				);
			} else if (outcome === 'skipped') {
				break;
			}
		}
		this.rooms.set(roomId, room);
		this.#ctx.metrics?.roomsLoaded.set(this.rooms.size);
		void this.#indexIfMissing(room);
		return room;
	}

	/** The room once it is loaded (tests): undefined if it is not loaded nor loading. */
	async loaded(roomId: string): Promise<Room | undefined> {
		return this.rooms.get(roomId) ?? (await this.#loading.get(roomId));
	}

	/** Membership revoked here: close the user's local sockets now, and tell other instances. */
	revoke(roomId: string, userId: string): void {
		this.rooms.get(roomId)?.closeUser(userId, CloseCode.FORBIDDEN, 'membership revoked');
		this.#ctx.bus.publish({ kind: 'revoke', roomId, userId });
	}

	/** The owner changed the room's settings here: the live room re-reads them, on every instance. */
	settingsChanged(roomId: string): void {
		void this.rooms.get(roomId)?.settingsChanged();
		this.#ctx.bus.publish({ kind: 'room-settings', roomId });
	}

	/**
	 * A user changed their display name in this process: their sockets here and on every
	 * instance carry the new one (it names their messages in the summaries).
	 */
	profileChanged(userId: string, displayName: string): void {
		this.#rename(userId, displayName);
		this.#ctx.bus.publish({ kind: 'profile', userId, displayName });
	}

	#rename(userId: string, displayName: string): void {
		for (const room of this.rooms.values()) room.renameUser(userId, displayName);
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

	/** Commits what is pending now (tests, shutdown); false if it failed (a retry is scheduled). */
	flush(): Promise<boolean> {
		return this.#commits.flush();
	}

	/**
	 * Resolves once everything committed so far is in the search index: what waits for the next
	 * batch is written now (the summary feed reads its counts from the index).
	 */
	indexNow(): Promise<void> {
		return this.#indexPending();
	}

	/**
	 * Indexes what was committed since the last batch, in one transaction; resolves once the
	 * indexer's writes queued so far are done (it never rejects: errors go to its onError).
	 */
	async #indexPending(): Promise<void> {
		clearTimeout(this.#indexTimer);
		this.#indexTimer = undefined;
		const queued = this.#indexQueue;
		this.#indexQueue = [];
		// (The indexer writes it in chunks, one per event-loop turn: INDEX_CHUNK.)
		await this.#indexer?.indexCommitted(queued);
	}

	/**
	 * A room written before the indexer ran (or while it was down) is rebuilt from its whole
	 * document after the load, off the hot path, once nothing in it is uncommitted.
	 */
	async #indexIfMissing(room: Room): Promise<void> {
		const indexer = this.#indexer;
		if (!indexer || (await indexer.isRoomIndexed(room.id))) return;
		const reindex = (): void => {
			if (!room.doc.isDestroyed) void indexer.reindexRoom(room.id, room.doc);
		};
		setImmediate(() => {
			if (room.pending === 0) reindex();
			else room.whenCommitted(() => setImmediate(reindex));
		});
	}

	/** SIGTERM: commit what is pending, snapshot every room, close every socket (1012). */
	async shutdown(): Promise<void> {
		await this.#commits.flush();
		this.#commits.close();
		await this.#indexPending();
		for (const room of this.rooms.values()) {
			await room.compact();
			room.closeAll(CloseCode.SERVICE_RESTART, 'server restarting');
			room.destroy();
		}
		this.rooms.clear();
		this.#ctx.metrics?.roomsLoaded.set(0);
		this.#unsubscribeResync();
		this.#unsubscribeControl();
		clearInterval(this.#membershipTimer);
	}
}
