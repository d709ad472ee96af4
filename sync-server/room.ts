/**
 * One active room: the wiring of its units. Frames come down from its connections; the gate
 * judges them; accepted updates go to the commit log. What is durable comes back as events the
 * room listens to (its commit channel, its bus channel) and goes out through the forwarder,
 * the STORED receipts and the awareness. Transport-free: sockets are `SyncSocket`s.
 */
import * as Y from 'yjs';
import { GateRule, refusal } from '../src/lib/protocol/gate-rules';
import { CloseCode } from '../src/lib/protocol/wire';
import type { Config } from '../src/lib/server/config';
import type { AdmissionRules } from './admission';
import type { ClientIdClaims } from './client-ids';
import type { CommitChannel, CommitLog, CommitRequest, Durable, DropReason } from './commit-log';
import { CompactionPolicy } from './compaction';
import { Connection, type ConnectionUser, type RoomPort } from './connection';
import { Forwarder } from './forwarder';
import { checkUpdate, type GateOptions } from './gate';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { encodeAwareness, encodeStoredReceipt, encodeSyncStep1, encodeSyncStep2 } from './protocol';
import { RoomAwareness, type AwarenessPolicy } from './room-awareness';
import { subscribeRoom } from './room-bus';
import { RoomLifecycle, Sealer, type SealAttempt } from './sealing';
import type { Seal } from './seal';
import { SharedFrame } from './shared-frame';
import type { Bus, Store, StoredUpdate, SyncSocket, Unsubscribe } from './types';
import { AWARENESS_STATE_COST_BYTES, MESSAGE_COST_BYTES } from './user-budget';

export { Connection, type ConnectionUser } from './connection';
export type { AwarenessPolicy } from './room-awareness';
export type { UpdateAdmission } from './admission';

export type RoomConfig = Pick<
	Config,
	'MAX_MESSAGE_CHARS' | 'COMPACT_AFTER_UPDATES' | 'ROOM_IDLE_UNLOAD_MS'
> &
	/**
	 * SEAL_AFTER_MESSAGES: seal the head once `messages` holds this many; absent (some unit
	 * tests): never. SEAL_MIN_INTERVAL_MS, SYNC_STEP1_MIN_INTERVAL_MS absent: no minimum.
	 * MAX_MESSAGES_PER_UPDATE absent: no limit. MAX_UPLOAD_BYTES absent: no size bound on files.
	 */
	Partial<
		Pick<
			Config,
			| 'SEAL_AFTER_MESSAGES'
			| 'SEAL_MIN_INTERVAL_MS'
			| 'MAX_MESSAGES_PER_UPDATE'
			| 'SYNC_STEP1_MIN_INTERVAL_MS'
			| 'MAX_UPLOAD_BYTES'
		>
	>;

/** The metrics the rooms and the hub record (optional: unit tests pass none). */
export type RoomMetrics = Pick<
	Metrics,
	'roomsLoaded' | 'updatesAccepted' | 'updatesRefused' | 'storeCommitSeconds' | 'roomSeals'
>;

/** An accepted update on its way to the commit log, and the connection owed its receipt. */
export interface PendingUpdate extends CommitRequest {
	readonly connection: Connection;
}

/** What a room is built with (by the hub): its services, and what it tells the hub. */
export interface RoomContext {
	readonly store: Store;
	readonly bus: Bus;
	readonly claims: ClientIdClaims;
	readonly commits: CommitLog<PendingUpdate>;
	readonly config: RoomConfig;
	readonly log: Logger;
	readonly awarenessPolicy: AwarenessPolicy;
	readonly admission: Omit<AdmissionRules, 'step1MinIntervalMs'>;
	/** Wall-clock ms (Date.now), for the time since the last seal. */
	nowMs(): number;
	readonly metrics?: RoomMetrics;
	/** The room left memory (idle, sealed, or replaced by a newer epoch). */
	unloaded(room: Room): void;
	/** This room sealed its head: `seal.head` is the new head's state (e.g. for the search index). */
	sealed?(room: Room, seal: Seal, epoch: number): void;
}

/** What `Room.seal()` did. */
export type SealOutcome =
	/** The head was sealed; the room is gone (sockets closed with 4409). */
	| 'sealed'
	/** The store had moved on: the room caught up (and is gone if the epoch changed). */
	| 'behind'
	/** Not now: under the threshold, updates pending, already gone, or the write failed. */
	| 'skipped';

/** An update with no structs and an empty delete set (what a peer with nothing new sends). */
function isEmptyUpdate(update: Uint8Array): boolean {
	return update.length === 2 && update[0] === 0 && update[1] === 0;
}

export class Room implements RoomPort {
	readonly doc = new Y.Doc();
	readonly connections = new Set<Connection>();
	/** The highest seq of the room's log that the doc includes (its one owner). */
	lastSeq = 0;
	/** The head's epoch (rooms.epoch when loaded); a room never changes epoch, it is replaced. */
	readonly epoch: number;
	readonly log: Logger;
	readonly metrics: RoomMetrics | undefined;
	readonly #ctx: RoomContext;
	readonly #lifecycle = new RoomLifecycle();
	readonly #awareness: RoomAwareness<Connection>;
	readonly #forwarder = new Forwarder<Connection>(() => this.connections);
	readonly #commits: CommitChannel<PendingUpdate>;
	readonly #compaction: CompactionPolicy;
	readonly #sealer: Sealer;
	/** The cache of the room log's clientID owners and high-water marks, raised by commits. */
	readonly #owners: Map<number, string>;
	readonly #highWater: Map<number, number>;
	#afterCommit: (() => void)[] = [];
	/** `fullStateStep2()`'s frame; dropped on every change of the doc. */
	#fullState: Uint8Array | null = null;
	#compactScheduled = false;
	#sealScheduled = false;
	/** A scheduled seal met uncommitted updates: seal right after the next commit instead. */
	#sealAfterCommit = false;
	/** Passed to the gate: for epoch > 0 it also looks ids up in sealed history. */
	readonly #gateOptions: GateOptions;
	#unloadTimer: ReturnType<typeof setTimeout> | undefined;
	readonly #unsubscribe: Unsubscribe;

	constructor(
		readonly id: string,
		ctx: RoomContext
	) {
		this.#ctx = ctx;
		this.log = ctx.log;
		this.metrics = ctx.metrics;
		this.#awareness = new RoomAwareness(this.doc, ctx.awarenessPolicy, (update, from, fromBus) =>
			this.#awarenessChanged(update, from, fromBus)
		);
		this.#commits = ctx.commits.attach({
			durable: (entries) => this.#durable(entries),
			dropped: (items, reason) => this.#dropped(items, reason)
		});
		// Subscribe before reading the store: what is published meanwhile arrives (asynchronously)
		// after lastSeq is set, and is applied or skipped by its seq.
		this.#unsubscribe = subscribeRoom(
			ctx.bus,
			id,
			{
				update: (seq, data) => this.#busUpdate(seq, data),
				awareness: (data) => !this.gone && this.#awareness.applyFromBus(data),
				revoke: (userId) => this.closeUser(userId, CloseCode.FORBIDDEN, 'membership revoked'),
				epoch: (epoch) => epoch > this.epoch && this.epochChanged()
			},
			ctx.log
		);
		let snapshotBytes = 0;
		try {
			const state = ctx.store.loadRoom(id);
			this.doc.transact(() => {
				for (const update of state.updates) {
					Y.applyUpdate(this.doc, update, 'store');
					snapshotBytes += update.byteLength;
				}
			}, 'store');
			this.lastSeq = state.seq;
			this.epoch = state.epoch;
			this.#compaction = new CompactionPolicy(ctx.config.COMPACT_AFTER_UPDATES, {
				logLength: ctx.store.logLength(id),
				snapshotBytes
			});
			this.#sealer = new Sealer({ ...ctx, roomId: id, sealedAtMs: state.sealedAtMs });
			this.#owners = ctx.claims.load(id);
			this.#highWater = ctx.claims.loadHighWaterAfterLoad(
				id,
				Y.decodeStateVector(Y.encodeStateVector(this.doc))
			);
		} catch (error) {
			this.destroy();
			throw error;
		}
		// Epoch 0 rooms never pay for the sealed-id lookup.
		const roomFileOf = (fileId: string) => ctx.store.roomFile(id, fileId);
		this.#gateOptions =
			this.epoch > 0
				? { sealedAuthorOf: (messageId) => ctx.store.sealedAuthorOf(id, messageId), roomFileOf }
				: { roomFileOf };
		this.doc.on('update', () => (this.#fullState = null));
		this.#lifecycle.loaded();
	}

	get config(): RoomConfig {
		return this.#ctx.config;
	}

	get awareness(): RoomAwareness<Connection>['awareness'] {
		return this.#awareness.awareness;
	}

	/** The awareness clientIDs `connection` speaks for. */
	awarenessIdsOf(connection: Connection): ReadonlySet<number> {
		return this.#awareness.idsOf(connection);
	}

	/** Updates accepted in memory whose commit is still to come. */
	get pending(): number {
		return this.#commits.pending;
	}

	/** Sealed or replaced by a newer epoch: this object serves nobody any more. */
	get gone(): boolean {
		return this.#lifecycle.gone;
	}

	/** The head is due to be sealed (SEAL_AFTER_MESSAGES, SEAL_MIN_INTERVAL_MS). */
	get sealDue(): boolean {
		return !this.gone && this.#sealer.due(this.doc);
	}

	/**
	 * Attaches a socket. With `epoch` (the client's replica's) other than the head's, the socket
	 * is accepted and closed at once with 4409: browsers cannot read a refused upgrade's status.
	 */
	addConnection(socket: SyncSocket, user: ConnectionUser, epoch?: number): Connection {
		clearTimeout(this.#unloadTimer);
		this.#unloadTimer = undefined;
		const connection = new Connection(this, socket, user, {
			rules: {
				...this.#ctx.admission,
				step1MinIntervalMs: this.#ctx.config.SYNC_STEP1_MIN_INTERVAL_MS
			},
			log: this.log,
			metrics: this.metrics,
			closed: (closed) => this.#removeConnection(closed)
		});
		this.connections.add(connection);
		if (epoch !== undefined && epoch !== this.epoch) {
			connection.close(CloseCode.EPOCH_CHANGED, 'epoch changed');
			return connection;
		}
		// y-websocket's server opens with its step 1 and the awareness states; we add the STORED
		// receipt for everything in the room. All of it waits until nothing is uncommitted.
		this.whenCommitted(() => {
			connection.send(encodeSyncStep1(this.doc));
			const states = this.awarenessFrame();
			if (states) connection.send(states);
			connection.send(encodeStoredReceipt(Y.decodeStateVector(Y.encodeStateVector(this.doc))));
		});
		return connection;
	}

	#removeConnection(connection: Connection): void {
		if (!this.connections.delete(connection)) return;
		this.#awareness.release(connection);
		if (this.connections.size === 0) this.#scheduleUnload();
	}

	/** Closes every socket of `userId` here (membership revoked). */
	closeUser(userId: string, code: number, reason: string): void {
		for (const connection of [...this.connections]) {
			if (connection.user.userId === userId) connection.close(code, reason);
		}
	}

	/** Closes every socket opened with `sessionId` (the session ended). */
	closeSession(sessionId: string, code: number, reason: string): void {
		for (const connection of [...this.connections]) {
			if (connection.user.sessionId === sessionId) connection.close(code, reason);
		}
	}

	closeAll(code: number, reason: string): void {
		for (const connection of [...this.connections]) connection.close(code, reason);
	}

	/** The clientID's high-water mark as this room knows it (client_ids.max_clock, kept live). */
	highWaterMark(clientId: number): number {
		return this.#highWater.get(clientId) ?? 0;
	}

	/** Runs `reply` now if nothing is uncommitted, else right after the next successful commit. */
	whenCommitted(reply: () => void): void {
		if (this.pending === 0) reply();
		else this.#afterCommit.push(reply);
	}

	/** Gate, claim clientIDs, apply in memory, hand to the commit log. */
	acceptUpdate(connection: Connection, update: Uint8Array): void {
		if (isEmptyUpdate(update)) return;
		const { userId } = connection.user;
		const { config } = this.#ctx;
		const verdict = checkUpdate(
			this.doc,
			{ userId },
			update,
			{ maxMessageChars: config.MAX_MESSAGE_CHARS, maxUploadBytes: config.MAX_UPLOAD_BYTES },
			this.#owners,
			this.#highWater,
			this.#gateOptions
		);
		if (!verdict.ok) {
			if (verdict.resync) connection.requestResync(verdict.reason);
			else connection.refuse(verdict.refusal);
			return;
		}
		const maxMessages = config.MAX_MESSAGES_PER_UPDATE ?? Number.POSITIVE_INFINITY;
		if (verdict.ownMessageCount > maxMessages) {
			connection.refuseRate(`more than ${maxMessages} messages in one update`);
			return;
		}
		for (const clientId of verdict.clientIds) {
			if (this.#owners.has(clientId)) continue;
			// Another instance may have claimed it since we loaded the room: the table decides.
			const owner = this.#ctx.claims.claim(this.id, clientId, userId);
			this.#owners.set(clientId, owner);
			if (owner !== userId) {
				const reason = `clientID ${clientId} belongs to another user`;
				return connection.refuse(refusal(GateRule.CLIENT_IDS, reason));
			}
		}
		// Nothing new (e.g. a reconnecting client re-sending what we have): nothing to store.
		if (verdict.noop) return;
		// Accepted whole (an honest backlog is never cut); what it costs paces the user's next frames.
		connection.charge(verdict.ownMessageCount * MESSAGE_COST_BYTES);
		// Applied at once so the next update in this tick is gated against it. The gate's bytes
		// are the update reduced to what the doc lacks; they are what we store and forward.
		Y.applyUpdate(this.doc, verdict.update, 'client');
		this.#commits.submit({
			roomId: this.id,
			epoch: this.epoch,
			data: verdict.update,
			clientIds: verdict.clientIds,
			clocks: verdict.clocks,
			connection
		});
	}

	/** The one place client awareness enters the room. */
	acceptAwareness(connection: Connection, update: Uint8Array): void {
		const outcome = this.#awareness.accept(connection, connection.user, this.#owners, update, () =>
			connection.mayPublishAwareness()
		);
		if (outcome.kind === 'rate-limited') {
			connection.refuseRate('too many awareness updates per second');
		} else if (outcome.kind === 'applied') {
			// Relayed to every other socket here: their bytes and a weight per recipient.
			const recipients = Math.max(0, this.connections.size - 1);
			connection.charge(recipients * (outcome.update.byteLength + AWARENESS_STATE_COST_BYTES));
		}
	}

	#awarenessChanged(update: Uint8Array, from: Connection | null, fromBus: boolean): void {
		const frame = new SharedFrame(encodeAwareness(update));
		for (const connection of this.connections) {
			if (connection !== from) connection.send(frame);
		}
		if (!fromBus) this.#ctx.bus.publish({ kind: 'awareness', roomId: this.id, data: update });
	}

	/** Sync step 2 with the whole doc (the answer to an empty state vector), cached until it changes. */
	fullStateStep2(): Uint8Array {
		this.#fullState ??= encodeSyncStep2(this.doc);
		return this.#fullState;
	}

	/** All current awareness states as one frame, or null when there are none. */
	awarenessFrame(): Uint8Array | null {
		return this.#awareness.frame();
	}

	/** The commit log made these updates of the room durable: forward, receipts, replies. */
	#durable(entries: readonly Durable<PendingUpdate>[]): void {
		if (this.gone) return;
		const receipts = new Map<Connection, Set<number>>();
		for (const { item, stored } of entries) {
			this.#compaction.appended(item.data.byteLength);
			for (const [clientId, clock] of item.clocks) {
				if (clock > (this.#highWater.get(clientId) ?? 0)) this.#highWater.set(clientId, clock);
			}
			this.#forwarder.push([{ data: item.data, sender: item.connection }]);
			if (stored.seq === this.lastSeq + 1) {
				this.lastSeq = stored.seq;
			} else if (stored.seq > this.lastSeq + 1) {
				// Another instance committed in between and its bus message has not reached us yet.
				this.catchUp();
				if (this.gone) return;
			}
			if (!item.connection.closed && item.clientIds.length > 0) {
				const ids = receipts.get(item.connection) ?? new Set<number>();
				for (const id of item.clientIds) ids.add(id);
				receipts.set(item.connection, ids);
			}
		}
		this.#forwarder.schedule();
		for (const [connection, ids] of receipts) {
			const entries = new Map<number, number>();
			for (const id of ids) {
				const clock = Y.getState(this.doc.store, id);
				if (clock > 0) entries.set(id, clock);
			}
			if (entries.size > 0) connection.send(encodeStoredReceipt(entries));
		}
		this.#committedAll();
	}

	/** Updates that can never commit: never acknowledged nor forwarded. */
	#dropped(items: readonly PendingUpdate[], reason: DropReason): void {
		if (reason === 'stale-epoch') return this.epochChanged();
		if (reason === 'room-deleted') return this.closeAll(CloseCode.FORBIDDEN, 'room deleted');
		for (const item of items) {
			const reason = 'a clientID belongs to another user';
			item.connection.refuse(refusal(GateRule.CLIENT_IDS, reason));
		}
	}

	/** After a commit: deferred replies once nothing waits, then maybe a seal or compaction. */
	#committedAll(): void {
		if (this.pending === 0) {
			const replies = this.#afterCommit;
			this.#afterCommit = [];
			for (const reply of replies) reply();
		}
		// Nothing is uncommitted right now: under steady traffic a later turn might never be so quiet.
		if (this.#sealAfterCommit && this.pending === 0) {
			this.#sealAfterCommit = false;
			if (this.seal() !== 'skipped') return;
		}
		// A seal replaces the whole log: no compaction before it.
		if (this.#scheduleSeal()) return;
		if (this.#compaction.due && !this.#compactScheduled) {
			this.#compactScheduled = true;
			setImmediate(() => {
				this.#compactScheduled = false;
				this.compact();
			});
		}
	}

	/**
	 * The store holds a newer epoch than this head (another instance sealed it): close every
	 * socket with 4409 and leave memory; the clients reconnect to the new head and re-send
	 * there what it lacks. Updates of this room still queued are dropped by the store.
	 */
	epochChanged(): void {
		if (this.gone) return;
		// What was committed here reaches the sockets before they close.
		this.#forwarder.flush();
		this.#lifecycle.leave();
		this.closeAll(CloseCode.EPOCH_CHANGED, 'epoch changed');
		this.destroy();
		this.#ctx.unloaded(this);
	}

	/**
	 * Folds the log up to lastSeq into a snapshot. Skipped while updates are uncommitted (the
	 * doc would hold changes the log has not) and when there is nothing to fold.
	 */
	compact(): void {
		if (this.pending > 0 || this.#compaction.logLength === 0 || this.doc.isDestroyed) return;
		try {
			const state = Y.encodeStateAsUpdate(this.doc);
			this.#ctx.store.compact(this.id, this.lastSeq, state, this.epoch);
			this.#compaction.compacted(state.byteLength);
		} catch (error) {
			this.log.error({ err: error, roomId: this.id }, 'compaction failed');
		}
	}

	/** Reads what the doc lacks from the store (a gap on the bus, or a resync). */
	catchUp(): void {
		if (this.gone) return;
		let missed: StoredUpdate[];
		try {
			const log = this.#ctx.store.readSince(this.id, this.lastSeq);
			// Sealed elsewhere: what follows is another head's, never to be mixed into this one.
			if (log.epoch !== this.epoch) return this.epochChanged();
			missed = log.updates;
		} catch (error) {
			this.log.error({ err: error, roomId: this.id }, 'catch-up read failed');
			return;
		}
		// Every entry is past lastSeq (a snapshot, if present, is labelled with its upto_seq).
		for (const entry of missed) {
			this.#applyCommitted(entry.data, 'store');
			this.lastSeq = Math.max(this.lastSeq, entry.seq);
		}
	}

	/**
	 * Seals the head (docs/design.md, "History segments"). On success every instance's sockets
	 * of the room close with 4409 (bus message 'epoch') and this room leaves memory; the next
	 * connection loads the small head. The hub calls it at load; commits, off the hot path.
	 * @param retryWhenBehind after catching up, try once more off the hot path (while another
	 *   instance keeps committing, its own commits seal: no loop here)
	 */
	seal(retryWhenBehind = true): SealOutcome {
		if (!this.sealDue) return 'skipped';
		if (this.pending > 0) {
			this.#sealAfterCommit = true;
			return 'skipped';
		}
		if (!this.#lifecycle.beginSeal()) return 'skipped';
		const attempt: SealAttempt = this.#sealer.seal(this.doc, {
			epoch: this.epoch,
			lastSeq: this.lastSeq
		});
		this.#lifecycle.sealAbandoned();
		if (attempt.outcome === 'failed') return 'skipped';
		if (attempt.outcome === 'behind') {
			// Another instance committed or sealed since this doc was last brought up to date.
			this.catchUp();
			if (retryWhenBehind) this.#scheduleSeal(false);
			return 'behind';
		}
		this.#ctx.sealed?.(this, attempt.seal, attempt.epoch);
		this.#ctx.bus.publish({ kind: 'epoch', roomId: this.id, epoch: attempt.epoch });
		this.epochChanged();
		return 'sealed';
	}

	/** Schedules a seal off the hot path when one is due; true if one is (or was) scheduled. */
	#scheduleSeal(retryWhenBehind = true): boolean {
		if (!this.sealDue) return false;
		if (this.#sealScheduled) return true;
		this.#sealScheduled = true;
		setImmediate(() => {
			this.#sealScheduled = false;
			this.seal(retryWhenBehind);
		});
		return true;
	}

	destroy(): void {
		clearTimeout(this.#unloadTimer);
		this.#forwarder.stop();
		this.#commits.close();
		this.#unsubscribe();
		this.#awareness.destroy();
		this.doc.destroy();
	}

	/**
	 * Applies a committed update from elsewhere (the bus, or the store on a catch-up) and passes
	 * it to every local connection. It was committed, so it raises the high-water marks as our
	 * own commits do: a later relay of it is judged as if this instance had committed it.
	 */
	#applyCommitted(data: Uint8Array, origin: 'bus' | 'store'): void {
		Y.applyUpdate(this.doc, data, origin);
		for (const [clientId, clock] of Y.parseUpdateMeta(data).to) {
			if (clock > (this.#highWater.get(clientId) ?? 0)) this.#highWater.set(clientId, clock);
		}
		this.#forwarder.broadcast(data);
	}

	#busUpdate(seq: number, data: Uint8Array): void {
		if (this.gone || seq <= this.lastSeq) return;
		if (seq > this.lastSeq + 1) return this.catchUp();
		this.#applyCommitted(data, 'bus');
		this.lastSeq = seq;
		this.#compaction.appended(data.byteLength);
	}

	#scheduleUnload(): void {
		clearTimeout(this.#unloadTimer);
		this.#unloadTimer = setTimeout(() => {
			this.#unloadTimer = undefined;
			if (this.connections.size > 0) return;
			if (this.pending > 0) return this.#scheduleUnload();
			this.compact();
			this.#lifecycle.leave();
			this.destroy();
			this.#ctx.unloaded(this);
		}, this.#ctx.config.ROOM_IDLE_UNLOAD_MS);
	}
}
