/**
 * One active room: its in-memory Y.Doc and awareness, its connections, and how each message
 * from a connection, the commit queue and the bus changes them. Transport-free: sockets are
 * `SyncSocket`s. The group commit itself lives in the hub (rooms.ts), across rooms.
 */
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Config } from '../src/lib/server/config';
import type { ClientIdClaims } from './client-ids';
import { CloseCode } from '../src/lib/protocol/wire';
import { checkUpdate, type GateOptions } from './gate';
import type { Logger } from './logger';
import { buildSeal, type Seal } from './seal';
import { SharedFrame } from './shared-frame';
import type { Metrics } from './metrics';
import {
	ProtocolError,
	dispatchMessage,
	encodeAwareness,
	encodePermissionDenied,
	encodeStoredReceipt,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeUpdate,
	type MessageHandler
} from './protocol';
import type { Bus, RoomBusMessage, Store, StoredUpdate, SyncSocket, Unsubscribe } from './types';
import {
	AWARENESS_STATE_COST_BYTES,
	CONNECTION_COST_BYTES,
	FRAME_COST_BYTES,
	MESSAGE_COST_BYTES,
	type UserBudget,
	type UserBudgets
} from './user-budget';

/** Close a socket whose unsent data passes this, instead of buffering without bound. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Compaction also waits until the log since the last snapshot holds this share of the
 * snapshot's bytes. Folding re-encodes and rewrites the whole document, so in a long room a
 * fixed "every N updates" would cost O(history) per N messages; proportional to size, each
 * byte is rewritten a bounded number of times (≤ 1/share) and a load replays at most
 * share × snapshot of log. Design: "Performance and history growth".
 */
export const COMPACT_LOG_SHARE = 0.25;
/**
 * Forwarding to one room's sockets costs about one socket write per connection (~3–9 µs each,
 * mostly the kernel's). When forwarding every commit at once would take more than MERGE_ABOVE
 * of the time (smoothed forward cost / smoothed time between the room's commits), the room
 * merges: the next forward waits until cost / FORWARD_DUTY after the previous one began, and
 * everything committed meanwhile goes out as one frame. A room below it forwards each commit at
 * once (no added latency); a room that would saturate the process (1,000 sockets at 400
 * msgs/s) sends several messages per frame instead of falling behind. Design: "Sync server".
 */
export const MERGE_ABOVE = 0.7;
export const FORWARD_DUTY = 0.55;
/** Weight of the newest sample in the smoothed forward cost and commit interval: a short burst
 * in a moderately busy room must not start merging (and delaying) on its own. */
const FORWARD_EWMA = 0.1;
/** Gate refusals a connection may collect before it is closed with FORBIDDEN. */
export const MAX_REFUSALS = 3;
/**
 * While its user is over budget a connection's frames wait (and its socket is not read). What
 * already arrived waits here; past these bounds the connection is closed with RATE_LIMITED.
 */
export const MAX_DEFERRED_FRAMES = 256;
export const MAX_DEFERRED_BYTES = 1024 * 1024;

export interface ConnectionUser {
	readonly userId: string;
	readonly username: string;
	/** The session the socket was opened with (absent in unit tests): logout closes it. */
	readonly sessionId?: string;
}

/** Who sent an awareness update: the session's user and the awareness clientIDs it has set. */
export interface AwarenessSender extends ConnectionUser {
	readonly claimedClientIds: Set<number>;
}

/**
 * The single entry point for awareness updates from clients: returns the update to apply
 * (possibly rewritten, e.g. `user` forced from the session) or null to drop it.
 * @param owners the room's Yjs clientID -> user id claims (gate rule 5)
 */
export type AwarenessPolicy = (
	update: Uint8Array,
	sender: AwarenessSender,
	owners: ReadonlyMap<number, string>,
	/** Whether another connection in the room already speaks for this awareness clientID. */
	claimedElsewhere: (clientId: number) => boolean
) => Uint8Array | null;

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

/**
 * Gate rule 6, per connection: called once per connection, returns the function asked before
 * each incoming update whether one more may pass now (e.g. a token bucket's take()).
 */
export type UpdateAdmission = () => () => boolean;

/** The metrics the rooms and the hub record (optional: unit tests pass none). */
export type RoomMetrics = Pick<
	Metrics,
	'roomsLoaded' | 'updatesAccepted' | 'updatesRefused' | 'storeCommitSeconds' | 'roomSeals'
>;

/** "rule 2: author must be the sender" -> "rule2"; reasons without a rule number -> "other". */
function ruleLabel(reason: string): string {
	const match = /^rule (\d+)/.exec(reason);
	return match ? `rule${match[1]}` : 'other';
}

/** What a room needs from the hub that owns it. */
export interface RoomContext {
	readonly store: Store;
	readonly bus: Bus;
	readonly claims: ClientIdClaims;
	readonly config: RoomConfig;
	readonly log: Logger;
	readonly awarenessPolicy: AwarenessPolicy;
	readonly admitUpdate: UpdateAdmission;
	/** Rule 6 for awareness: may a connection publish one more state now? Absent: always. */
	readonly admitAwareness?: UpdateAdmission;
	/** Rule 6, the per-user budget every frame draws from; absent (unit tests): none. */
	readonly budgets?: UserBudgets;
	/** Wall-clock ms (Date.now), for the time since the last seal. */
	nowMs(): number;
	readonly metrics?: RoomMetrics;
	/** Queues an accepted update for the next group commit. */
	enqueue(update: PendingUpdate): void;
	/**
	 * The room is gone from memory: no connection for ROOM_IDLE_UNLOAD_MS and nothing pending,
	 * or its head was sealed (here or elsewhere).
	 */
	unloaded(room: Room): void;
	/** This room sealed its head: `seal.head` is the new head's state (e.g. for the search index). */
	sealed?(room: Room, seal: Seal, epoch: number): void;
}

/** An update applied in memory and waiting for its commit. */
export interface PendingUpdate {
	readonly room: Room;
	readonly connection: Connection;
	readonly data: Uint8Array;
	readonly clientIds: readonly number[];
	/** Per clientID written, the clock after its last struct: the high-water mark to raise. */
	readonly clocks: ReadonlyMap<number, number>;
}

/** An update with no structs and an empty delete set (what a peer with nothing new sends). */
function isEmptyUpdate(update: Uint8Array): boolean {
	return update.length === 2 && update[0] === 0 && update[1] === 0;
}

export class Connection implements MessageHandler {
	/** Awareness clientIDs this connection has set: removed for everyone when it closes. */
	readonly awarenessIds = new Set<number>();
	#refusals = 0;
	#rateRefusals = 0;
	#closed = false;
	/** A resync step 1 is already on its way (several gaps in one turn share one). */
	#resyncRequested = false;
	readonly #mayUpdate: () => boolean;
	readonly #mayPublishAwareness: () => boolean;
	/** The user's budget (shared with their other sockets here), if the hub has budgets. */
	readonly #budget: UserBudget | undefined;
	/** Frames that arrived while the user was over budget, in order. */
	#deferred: Uint8Array[] = [];
	#deferredBytes = 0;
	#drainTimer: ReturnType<typeof setTimeout> | undefined;
	/** The state vector of a step 1 whose answer waits for the commit; when the last was sent. */
	#step1Pending: Uint8Array | null = null;
	#lastStep1At = Number.NEGATIVE_INFINITY;
	/**
	 * The room's state vector (encoded: small) when this socket was last answered: it has been
	 * sent all of that, and every change since.
	 */
	#served: Uint8Array | null = null;

	constructor(
		readonly room: Room,
		readonly socket: SyncSocket,
		readonly user: ConnectionUser,
		admission: {
			readonly admitUpdate: UpdateAdmission;
			readonly admitAwareness?: UpdateAdmission;
			readonly budgets?: UserBudgets;
		}
	) {
		this.#mayUpdate = admission.admitUpdate();
		this.#mayPublishAwareness = admission.admitAwareness?.() ?? (() => true);
		this.#budget = admission.budgets?.acquire(user.userId);
		// Opening a socket costs a session check, a room attach and the opening frames: a
		// flooder closed with 4429 pays for reconnecting.
		this.#budget?.charge(CONNECTION_COST_BYTES);
	}

	get closed(): boolean {
		return this.#closed;
	}

	/**
	 * Handles one frame; a bad frame closes this socket only. While the user is over budget the
	 * frame waits (paced, in order) and the socket is not read until the debt is paid.
	 */
	receive(frame: Uint8Array): void {
		if (this.#closed) return;
		if (this.#deferred.length > 0 || this.#budget?.overdrawn) return this.#defer(frame);
		this.#handle(frame);
	}

	/** Draws from the user's budget what this connection costs beyond its frames' bytes. */
	charge(bytes: number): void {
		this.#budget?.charge(bytes);
	}

	#handle(frame: Uint8Array): void {
		this.#budget?.charge(frame.byteLength + FRAME_COST_BYTES);
		try {
			dispatchMessage(frame, this);
		} catch (error) {
			if (error instanceof ProtocolError) {
				this.close(CloseCode.MALFORMED_MESSAGE, 'malformed message');
			} else {
				this.room.log.error({ err: error, roomId: this.room.id }, 'frame handling failed');
				this.close(CloseCode.INTERNAL_ERROR, 'internal error');
			}
		}
	}

	#defer(frame: Uint8Array): void {
		if (
			this.#deferred.length >= MAX_DEFERRED_FRAMES ||
			this.#deferredBytes + frame.byteLength > MAX_DEFERRED_BYTES
		) {
			this.room.metrics?.updatesRefused.inc({ rule: 'rule6' });
			this.close(CloseCode.RATE_LIMITED, 'over budget');
			return;
		}
		this.#deferred.push(frame);
		this.#deferredBytes += frame.byteLength;
		this.socket.pause?.();
		this.#scheduleDrain();
	}

	#scheduleDrain(): void {
		if (this.#drainTimer !== undefined || this.#closed) return;
		const waitMs = Math.max(1, Math.ceil(this.#budget?.msUntilPaid() ?? 0));
		this.#drainTimer = setTimeout(() => {
			this.#drainTimer = undefined;
			this.#drain();
		}, waitMs);
	}

	/** Handles waiting frames while the budget allows; reads the socket again once none wait. */
	#drain(): void {
		while (!this.#closed && this.#deferred.length > 0 && !this.#budget?.overdrawn) {
			const frame = this.#deferred.shift() as Uint8Array;
			this.#deferredBytes -= frame.byteLength;
			this.#handle(frame);
		}
		if (this.#closed) return;
		if (this.#deferred.length > 0) return this.#scheduleDrain();
		this.socket.resume?.();
	}

	/** A rule 6 refusal (nothing applied): the reason to the client, the third closes with 4429. */
	refuseRate(reason: string): void {
		this.#rateRefusals++;
		this.room.metrics?.updatesRefused.inc({ rule: 'rule6' });
		this.send(encodePermissionDenied(reason));
		if (this.#rateRefusals >= MAX_REFUSALS) this.close(CloseCode.RATE_LIMITED, 'rate limited');
	}

	/** Rule 6 for awareness: whether this connection may publish one more state now. */
	mayPublishAwareness(): boolean {
		return this.#mayPublishAwareness();
	}

	send(frame: Uint8Array | SharedFrame): void {
		if (this.#closed) return;
		if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
			this.close(CloseCode.SLOW_CONSUMER, 'send buffer full');
			return;
		}
		try {
			if (!(frame instanceof SharedFrame)) this.socket.send(frame);
			else if (this.socket.sendShared) this.socket.sendShared(frame);
			else this.socket.send(frame.data);
		} catch (error) {
			this.room.log.warn({ err: error, roomId: this.room.id }, 'send failed');
			this.close(CloseCode.INTERNAL_ERROR, 'send failed');
		}
	}

	close(code: number, reason: string): void {
		if (this.#closed) return;
		this.#closed = true;
		clearTimeout(this.#drainTimer);
		this.#deferred = [];
		this.#budget?.release();
		try {
			// A flooder may have megabytes of tiny frames on the way: stop reading them at once.
			if (code === CloseCode.RATE_LIMITED && this.socket.abort) this.socket.abort(code, reason);
			else this.socket.close(code, reason);
		} catch {
			/* already closed */
		}
		this.room.removeConnection(this);
	}

	onSyncStep1(stateVector: Uint8Array): void {
		// Validate now (a bad vector is this socket's fault), answer once nothing is uncommitted.
		try {
			Y.decodeStateVector(stateVector);
		} catch (error) {
			// lib0 throws plain Errors on bad bytes: the client's fault, not an internal error.
			throw new ProtocolError(`malformed state vector: ${(error as Error).message}`);
		}
		// Several while an answer waits for the commit share it (the latest vector wins).
		if (this.#step1Pending !== null) {
			this.#step1Pending = stateVector;
			return;
		}
		// Rule 6: one answer per SYNC_STEP1_MIN_INTERVAL_MS (a stock client asks once per
		// connection, or once per `resyncInterval` if set, seconds apart).
		const intervalMs = this.room.config.SYNC_STEP1_MIN_INTERVAL_MS ?? 0;
		if (performance.now() - this.#lastStep1At < intervalMs) {
			return this.refuseRate('rule 6: sync step 1 repeated too soon');
		}
		this.#step1Pending = stateVector;
		this.room.whenCommitted(() => {
			const latest = this.#step1Pending ?? stateVector;
			this.#step1Pending = null;
			this.#lastStep1At = performance.now();
			this.#answerStep1(latest);
		});
	}

	/**
	 * Step 2 with what the client lacks, then our step 1. After a first answer the socket has
	 * been sent everything the room held then, and every later change as it committed: a later
	 * answer leaves all of that out (asking again never buys the whole room again).
	 */
	#answerStep1(stateVector: Uint8Array): void {
		const doc = this.room.doc;
		const vector = Y.decodeStateVector(stateVector);
		if (this.#served) {
			for (const [client, clock] of Y.decodeStateVector(this.#served)) {
				if (clock > (vector.get(client) ?? 0)) vector.set(client, clock);
			}
		}
		this.#served = Y.encodeStateVector(doc);
		// A fresh client (empty vector) gets the room's whole state: encoded once per change of
		// the room, not once per asker (a reconnect storm, or a flood of new sockets).
		const step2 =
			vector.size === 0
				? this.room.fullStateStep2()
				: encodeSyncStep2(doc, Y.encodeStateVector(vector));
		const step1 = encodeSyncStep1(doc);
		this.charge(step2.byteLength + step1.byteLength);
		this.send(step2);
		this.send(step1);
	}

	onUpdate(update: Uint8Array): void {
		// Refused like a gate refusal (nothing applied); a flood ends with RATE_LIMITED.
		if (!this.#mayUpdate()) return this.refuseRate('rule 6: too many updates per second');
		this.room.acceptUpdate(this, update);
	}

	onAwareness(update: Uint8Array): void {
		this.room.acceptAwareness(this, update);
	}

	onQueryAwareness(): void {
		const states = this.room.awarenessFrame();
		if (!states) return;
		this.charge(states.byteLength);
		this.send(states);
	}

	/**
	 * The update builds on changes the server does not have (the gate's `resync` verdict). An
	 * honest client meets this in a race between two of its sockets, so it is no offence: say
	 * why, then (after pending commits) send our step 1, to which the client answers with
	 * everything we lack. Several such updates in one turn share one step 1.
	 */
	requestResync(reason: string): void {
		this.room.metrics?.updatesRefused.inc({ rule: 'resync' });
		this.send(encodePermissionDenied(reason));
		if (this.#resyncRequested) return;
		this.#resyncRequested = true;
		this.room.whenCommitted(() => {
			this.#resyncRequested = false;
			this.send(encodeSyncStep1(this.room.doc));
		});
	}

	refuse(reason: string): void {
		this.#refusals++;
		this.room.metrics?.updatesRefused.inc({ rule: ruleLabel(reason) });
		this.send(encodePermissionDenied(reason));
		if (this.#refusals >= MAX_REFUSALS) this.close(CloseCode.FORBIDDEN, 'repeated refusals');
	}
}

/** What `Room.seal()` did. */
export type SealOutcome =
	/** The head was sealed; the room is gone (sockets closed with 4409). */
	| 'sealed'
	/** The store had moved on: the room caught up (and is gone if the epoch changed). */
	| 'behind'
	/** Not now: under the threshold, updates pending, already gone, or the write failed. */
	| 'skipped';

export class Room {
	readonly doc = new Y.Doc();
	readonly awareness = new awarenessProtocol.Awareness(this.doc);
	readonly connections = new Set<Connection>();
	/** The highest seq of the room's log that the doc includes. */
	lastSeq: number;
	/** The head's epoch (rooms.epoch when loaded); a room never changes epoch, it is replaced. */
	readonly epoch: number;
	readonly log: Logger;
	readonly metrics: RoomMetrics | undefined;
	readonly #ctx: RoomContext;
	readonly #owners: Map<number, string>;
	/** client_ids.max_clock: below it another user's clientID may be relayed (healing). */
	readonly #highWater: Map<number, number>;
	/** Awareness clientID -> the connection that speaks for it (awareness gate, O(1)). */
	readonly #awarenessSpeakers = new Map<number, Connection>();
	#pending = 0;
	#afterCommit: (() => void)[] = [];
	/** `fullStateStep2()`'s frame; dropped on every change of the doc. */
	#fullState: Uint8Array | null = null;
	/** Committed updates not forwarded yet: this flush's, or several while forwarding waits. */
	#outbox: PendingUpdate[] = [];
	/** Smoothed cost of one forward and time between commits of this room, in ms (FORWARD_DUTY). */
	#forwardCostMs = 0;
	#commitGapMs = Number.POSITIVE_INFINITY;
	#lastCommitAt = Number.NEGATIVE_INFINITY;
	#lastForwardAt = Number.NEGATIVE_INFINITY;
	#forwardTimer: ReturnType<typeof setTimeout> | undefined;
	/** Per connection, the clientIDs its committed updates wrote since the last receipt. */
	#receipts = new Map<Connection, Set<number>>();
	/** Log entries since the last compaction (approximate across instances). */
	#logLength: number;
	/** Bytes of log since the last compaction (this instance's view) and of the last snapshot. */
	#logBytes = 0;
	#snapshotBytes = 0;
	#compactScheduled = false;
	#sealScheduled = false;
	/** A scheduled seal met uncommitted updates: seal right after the next flush instead. */
	#sealAfterFlush = false;
	/** Sealed, or found to be an old epoch: closed, destroyed, out of the hub. */
	#gone = false;
	/** When the previous epoch was sealed (Date.now ms), if ever: SEAL_MIN_INTERVAL_MS. */
	readonly #sealedAtMs: number | undefined;
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
		// The server holds no awareness state of its own.
		this.awareness.setLocalState(null);
		// Subscribe before reading the store: what is published meanwhile arrives (asynchronously)
		// after lastSeq is set, and is applied or skipped by its seq.
		this.#unsubscribe = ctx.bus.subscribe(id, (message) => this.#onBus(message));
		try {
			const state = ctx.store.loadRoom(id);
			this.doc.transact(() => {
				for (const update of state.updates) {
					Y.applyUpdate(this.doc, update, 'store');
					this.#snapshotBytes += update.byteLength;
				}
			}, 'store');
			this.lastSeq = state.seq;
			this.epoch = state.epoch;
			this.#sealedAtMs = state.sealedAtMs;
			this.#logLength = ctx.store.logLength(id);
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
		this.awareness.on('update', this.#onAwarenessUpdate);
		this.doc.on('update', () => (this.#fullState = null));
	}

	get config(): RoomConfig {
		return this.#ctx.config;
	}

	/** Updates accepted in memory whose commit is still to come. */
	get pending(): number {
		return this.#pending;
	}

	/** Sealed or replaced by a newer epoch: this object serves nobody any more. */
	get gone(): boolean {
		return this.#gone;
	}

	/**
	 * The head holds SEAL_AFTER_MESSAGES messages or more and its previous seal is at least
	 * SEAL_MIN_INTERVAL_MS old: it is due to be sealed.
	 */
	get sealDue(): boolean {
		const limit = this.#ctx.config.SEAL_AFTER_MESSAGES;
		const interval = this.#ctx.config.SEAL_MIN_INTERVAL_MS ?? 0;
		return (
			limit !== undefined &&
			!this.#gone &&
			!this.doc.isDestroyed &&
			this.doc.getArray('messages').length >= limit &&
			(this.#sealedAtMs === undefined || this.#ctx.nowMs() - this.#sealedAtMs >= interval)
		);
	}

	/**
	 * Attaches a socket. With `epoch` (the client's replica's) other than the head's, the socket
	 * is accepted and closed at once with 4409: browsers cannot read a refused upgrade's status.
	 */
	addConnection(socket: SyncSocket, user: ConnectionUser, epoch?: number): Connection {
		clearTimeout(this.#unloadTimer);
		this.#unloadTimer = undefined;
		const connection = new Connection(this, socket, user, this.#ctx);
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

	removeConnection(connection: Connection): void {
		if (!this.connections.delete(connection)) return;
		this.#receipts.delete(connection);
		for (const id of connection.awarenessIds) this.#releaseAwarenessId(id, connection);
		if (connection.awarenessIds.size > 0) {
			awarenessProtocol.removeAwarenessStates(
				this.awareness,
				[...connection.awarenessIds],
				'close'
			);
		}
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

	/** Runs `reply` now if nothing is uncommitted, else right after the next successful flush. */
	whenCommitted(reply: () => void): void {
		if (this.#pending === 0) reply();
		else this.#afterCommit.push(reply);
	}

	/** Gate, claim clientIDs, apply in memory, queue for the group commit. */
	acceptUpdate(connection: Connection, update: Uint8Array): void {
		if (isEmptyUpdate(update)) return;
		const { userId } = connection.user;
		const verdict = checkUpdate(
			this.doc,
			{ userId },
			update,
			{
				maxMessageChars: this.#ctx.config.MAX_MESSAGE_CHARS,
				maxUploadBytes: this.#ctx.config.MAX_UPLOAD_BYTES
			},
			this.#owners,
			this.#highWater,
			this.#gateOptions
		);
		if (!verdict.ok) {
			if (verdict.resync) connection.requestResync(verdict.reason);
			else connection.refuse(verdict.reason);
			return;
		}
		const maxMessages = this.#ctx.config.MAX_MESSAGES_PER_UPDATE ?? Number.POSITIVE_INFINITY;
		if (verdict.ownMessageCount > maxMessages) {
			connection.refuseRate(`rule 6: more than ${maxMessages} messages in one update`);
			return;
		}
		for (const clientId of verdict.clientIds) {
			if (this.#owners.has(clientId)) continue;
			// Another instance may have claimed it since we loaded the room: the table decides.
			const owner = this.#ctx.claims.claim(this.id, clientId, userId);
			this.#owners.set(clientId, owner);
			if (owner !== userId) {
				connection.refuse(`rule 5: clientID ${clientId} belongs to another user`);
				return;
			}
		}
		// Nothing new (e.g. a reconnecting client re-sending what we have): nothing to store.
		if (verdict.noop) return;
		// Accepted whole (an honest backlog is never cut); what it costs paces the user's next frames.
		connection.charge(verdict.ownMessageCount * MESSAGE_COST_BYTES);
		// Applied at once so the next update in this tick is gated against it. The gate's bytes
		// are the update reduced to what the doc lacks; they are what we store and forward.
		Y.applyUpdate(this.doc, verdict.update, 'client');
		this.#pending++;
		this.#ctx.enqueue({
			room: this,
			connection,
			data: verdict.update,
			clientIds: verdict.clientIds,
			clocks: verdict.clocks
		});
	}

	/** The one place client awareness enters the room. */
	acceptAwareness(connection: Connection, update: Uint8Array): void {
		const sender = { ...connection.user, claimedClientIds: connection.awarenessIds };
		const claimedElsewhere = (clientId: number): boolean => {
			const speaker = this.#awarenessSpeakers.get(clientId);
			return speaker !== undefined && speaker !== connection;
		};
		const claimedBefore = new Set(connection.awarenessIds);
		const allowed = this.#ctx.awarenessPolicy(update, sender, this.#owners, claimedElsewhere);
		// Rule 6: a stock client publishes its own state on typing changes and every 15 s; echoes
		// of others' states (dropped by the policy) cost only their bytes. A refused update
		// claims nothing.
		if (allowed && !connection.mayPublishAwareness()) {
			for (const id of connection.awarenessIds) {
				if (!claimedBefore.has(id)) connection.awarenessIds.delete(id);
			}
			connection.refuseRate('rule 6: too many awareness updates per second');
			return;
		}
		// The policy records a first claim in `awarenessIds` (usually one id per connection).
		for (const id of connection.awarenessIds) {
			if (!this.#awarenessSpeakers.has(id)) this.#awarenessSpeakers.set(id, connection);
		}
		if (!allowed) return;
		// Relayed to every other socket here: their bytes and a weight per recipient.
		const recipients = Math.max(0, this.connections.size - 1);
		connection.charge(recipients * (allowed.byteLength + AWARENESS_STATE_COST_BYTES));
		awarenessProtocol.applyAwarenessUpdate(this.awareness, allowed, connection);
	}

	#releaseAwarenessId(clientId: number, connection: Connection): void {
		if (this.#awarenessSpeakers.get(clientId) === connection) {
			this.#awarenessSpeakers.delete(clientId);
		}
	}

	/** Sync step 2 with the whole doc (the answer to an empty state vector), cached until it changes. */
	fullStateStep2(): Uint8Array {
		this.#fullState ??= encodeSyncStep2(this.doc);
		return this.#fullState;
	}

	/** All current awareness states as one frame, or null when there are none. */
	awarenessFrame(): Uint8Array | null {
		const ids = [...this.awareness.getStates().keys()];
		if (ids.length === 0) return null;
		return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids));
	}

	/** Called by the hub for each of this room's updates once its batch committed, in order. */
	committed(update: PendingUpdate, stored: StoredUpdate): void {
		this.#pending--;
		this.#logLength++;
		this.#logBytes += update.data.byteLength;
		this.#outbox.push(update);
		for (const [clientId, clock] of update.clocks) {
			if (clock > (this.#highWater.get(clientId) ?? 0)) this.#highWater.set(clientId, clock);
		}
		this.#ctx.bus.publish({ kind: 'update', roomId: this.id, seq: stored.seq, data: update.data });
		if (stored.seq === this.lastSeq + 1) {
			this.lastSeq = stored.seq;
		} else if (stored.seq > this.lastSeq + 1) {
			// Another instance committed in between and its bus message has not reached us yet.
			this.catchUp();
		}
		if (!update.connection.closed && update.clientIds.length > 0) {
			let ids = this.#receipts.get(update.connection);
			if (!ids) {
				ids = new Set();
				this.#receipts.set(update.connection, ids);
			}
			for (const id of update.clientIds) ids.add(id);
		}
	}

	/**
	 * An update that can never commit (its room was deleted, or its head sealed elsewhere):
	 * stop waiting for it. It is never acknowledged nor forwarded.
	 */
	discard(): void {
		this.#pending--;
	}

	/**
	 * The store holds a newer epoch than this head (another instance sealed it): close every
	 * socket with 4409 and leave memory; the clients reconnect to the new head and re-send
	 * there what it lacks. Updates of this room still queued are dropped by the store.
	 */
	epochChanged(): void {
		if (this.#gone) return;
		// What was committed here reaches the sockets before they close.
		this.#forwardOutbox();
		this.#gone = true;
		this.closeAll(CloseCode.EPOCH_CHANGED, 'epoch changed');
		this.destroy();
		this.#ctx.unloaded(this);
	}

	/** After a successful flush: forward, receipts, deferred replies, maybe a seal or compaction. */
	flushed(): void {
		// A catch-up during the commit found a newer epoch: nobody left to tell.
		if (this.#gone) return;
		this.#scheduleForward();
		for (const [connection, ids] of this.#receipts) {
			const entries = new Map<number, number>();
			for (const id of ids) {
				const clock = Y.getState(this.doc.store, id);
				if (clock > 0) entries.set(id, clock);
			}
			if (entries.size > 0) connection.send(encodeStoredReceipt(entries));
		}
		this.#receipts.clear();
		if (this.#pending === 0) {
			const replies = this.#afterCommit;
			this.#afterCommit = [];
			for (const reply of replies) reply();
		}
		// Nothing is uncommitted right now (the flush took the whole queue): under steady traffic
		// a later turn might never be so quiet.
		if (this.#sealAfterFlush && this.#pending === 0) {
			this.#sealAfterFlush = false;
			if (this.seal() !== 'skipped') return;
		}
		// A seal replaces the whole log: no compaction before it.
		if (this.#scheduleSeal()) return;
		if (
			this.#logLength > this.#ctx.config.COMPACT_AFTER_UPDATES &&
			this.#logBytes >= this.#snapshotBytes * COMPACT_LOG_SHARE &&
			!this.#compactScheduled
		) {
			this.#compactScheduled = true;
			setImmediate(() => {
				this.#compactScheduled = false;
				this.compact();
			});
		}
	}

	/**
	 * Folds the log up to lastSeq into a snapshot. Skipped while updates are uncommitted (the
	 * doc would hold changes the log has not) and when there is nothing to fold.
	 */
	compact(): void {
		if (this.#pending > 0 || this.#logLength === 0 || this.doc.isDestroyed) return;
		try {
			const state = Y.encodeStateAsUpdate(this.doc);
			this.#ctx.store.compact(this.id, this.lastSeq, state, this.epoch);
			this.#logLength = 0;
			this.#logBytes = 0;
			this.#snapshotBytes = state.byteLength;
		} catch (error) {
			this.log.error({ err: error, roomId: this.id }, 'compaction failed');
		}
	}

	/** Reads what the doc lacks from the store (a gap on the bus, or a resync). */
	catchUp(): void {
		if (this.#gone) return;
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
			this.#applyCommitted(entry.data);
			this.lastSeq = Math.max(this.lastSeq, entry.seq);
		}
	}

	/**
	 * Seals the head (docs/design.md, "History segments"): its messages into segments, a fresh
	 * head with the carried maps, epoch + 1, in one store transaction that first checks the
	 * store still has this epoch and this lastSeq. On success every instance's sockets of the
	 * room close with 4409 (bus message 'epoch') and this room leaves memory; the next
	 * connection loads the small head. Synchronous; the hub calls it at load, `flushed` off the
	 * hot path.
	 * @param retryWhenBehind after catching up, try once more off the hot path (while another
	 *   instance keeps committing, its own flushes seal: no loop here)
	 */
	seal(retryWhenBehind = true): SealOutcome {
		if (!this.sealDue) return 'skipped';
		if (this.#pending > 0) {
			this.#sealAfterFlush = true;
			return 'skipped';
		}
		const limit = this.#ctx.config.SEAL_AFTER_MESSAGES ?? Number.POSITIVE_INFINITY;
		const started = performance.now();
		let seal: Seal;
		let epoch: number | null;
		try {
			seal = buildSeal(this.doc, limit);
			epoch = this.#ctx.store.seal(this.id, { epoch: this.epoch, lastSeq: this.lastSeq }, seal);
		} catch (error) {
			// The next flush (or load) tries again.
			this.log.error({ err: error, roomId: this.id }, 'seal failed');
			return 'skipped';
		}
		if (epoch === null) {
			// Another instance committed or sealed since this doc was last brought up to date.
			this.catchUp();
			if (retryWhenBehind) this.#scheduleSeal(false);
			return 'behind';
		}
		const ms = Math.round(performance.now() - started);
		this.metrics?.roomSeals.inc();
		this.log.info(
			{
				roomId: this.id,
				epoch,
				messages: seal.messageCount,
				segments: seal.segments.length,
				headBytes: seal.head.byteLength,
				ms
			},
			'room sealed'
		);
		this.#ctx.sealed?.(this, seal, epoch);
		this.#ctx.bus.publish({ kind: 'epoch', roomId: this.id, epoch });
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
		clearTimeout(this.#forwardTimer);
		this.#unsubscribe();
		this.awareness.off('update', this.#onAwarenessUpdate);
		this.awareness.destroy();
		this.doc.destroy();
	}

	/** Forwards the outbox now, or when FORWARD_DUTY allows (merging whatever commits meanwhile). */
	#scheduleForward(): void {
		if (this.#outbox.length === 0) return;
		const now = performance.now();
		if (Number.isFinite(this.#lastCommitAt)) {
			const gap = now - this.#lastCommitAt;
			this.#commitGapMs = Number.isFinite(this.#commitGapMs)
				? this.#commitGapMs + FORWARD_EWMA * (gap - this.#commitGapMs)
				: gap;
		}
		this.#lastCommitAt = now;
		if (this.#forwardTimer !== undefined) return;
		const saturating = this.#forwardCostMs > MERGE_ABOVE * this.#commitGapMs;
		const wait = saturating ? this.#lastForwardAt + this.#forwardCostMs / FORWARD_DUTY - now : 0;
		if (wait <= 0) return this.#forwardOutbox();
		this.#forwardTimer = setTimeout(() => this.#forwardOutbox(), Math.ceil(wait));
	}

	/**
	 * Forwards the committed updates of the outbox: ONE frame for all of them (the busier the
	 * room, the more updates it holds, so the cost per delivered message falls under load),
	 * built once and written as the same bytes to every socket. A lone update goes to everyone
	 * but its sender, as is; several are merged with Y.mergeUpdates (one valid sync message:
	 * y-websocket reads one message per frame) and go to everyone — a sender's own changes
	 * coming back are a no-op for Yjs.
	 */
	#forwardOutbox(): void {
		clearTimeout(this.#forwardTimer);
		this.#forwardTimer = undefined;
		const outbox = this.#outbox;
		if (outbox.length === 0 || this.doc.isDestroyed) return;
		this.#outbox = [];
		const started = performance.now();
		const first = outbox[0] as PendingUpdate;
		const single = outbox.every((update) => update.connection === first.connection);
		const data =
			outbox.length === 1 ? first.data : Y.mergeUpdates(outbox.map((update) => update.data));
		const frame = new SharedFrame(encodeUpdate(data));
		for (const connection of this.connections) {
			if (!single || connection !== first.connection) connection.send(frame);
		}
		const cost = performance.now() - started;
		this.#forwardCostMs =
			this.#forwardCostMs === 0
				? cost
				: this.#forwardCostMs + FORWARD_EWMA * (cost - this.#forwardCostMs);
		this.#lastForwardAt = started;
	}

	/**
	 * Applies a committed update from elsewhere (the bus, or the store on a catch-up) and passes
	 * it to every local connection. It was committed, so it raises the high-water marks as our
	 * own commits do: a later relay of it is judged as if this instance had committed it.
	 */
	#applyCommitted(data: Uint8Array): void {
		Y.applyUpdate(this.doc, data, 'bus');
		for (const [clientId, clock] of Y.parseUpdateMeta(data).to) {
			if (clock > (this.#highWater.get(clientId) ?? 0)) this.#highWater.set(clientId, clock);
		}
		const frame = new SharedFrame(encodeUpdate(data));
		for (const connection of this.connections) connection.send(frame);
	}

	#onBus(message: RoomBusMessage): void {
		if (this.#gone) return;
		try {
			switch (message.kind) {
				case 'update':
					if (message.seq <= this.lastSeq) return;
					if (message.seq > this.lastSeq + 1) return this.catchUp();
					this.#applyCommitted(message.data);
					this.lastSeq = message.seq;
					this.#logLength++;
					this.#logBytes += message.data.byteLength;
					return;
				case 'awareness':
					awarenessProtocol.applyAwarenessUpdate(this.awareness, message.data, 'bus');
					return;
				case 'revoke':
					this.closeUser(message.userId, CloseCode.FORBIDDEN, 'membership revoked');
					return;
				case 'epoch':
					if (message.epoch > this.epoch) this.epochChanged();
					return;
			}
		} catch (error) {
			this.log.error({ err: error, roomId: this.id, kind: message.kind }, 'bus message failed');
		}
	}

	#onAwarenessUpdate = (
		changes: { added: number[]; updated: number[]; removed: number[] },
		origin: unknown
	): void => {
		const { added, updated, removed } = changes;
		if (origin instanceof Connection) {
			for (const id of added) {
				origin.awarenessIds.add(id);
				if (!this.#awarenessSpeakers.has(id)) this.#awarenessSpeakers.set(id, origin);
			}
			for (const id of removed) {
				origin.awarenessIds.delete(id);
				this.#releaseAwarenessId(id, origin);
			}
		}
		const changed = [...added, ...updated, ...removed];
		const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed);
		// y-protocols keeps a removed clientID's clock in `meta` forever (so a late, older update
		// cannot bring it back); one socket cycling clientIDs would grow it without bound. The
		// removal is encoded above; forget the id now. A stale state it lets back in is removed
		// again by the awareness timeout (30 s).
		for (const id of removed) {
			if (!this.awareness.states.has(id)) this.awareness.meta.delete(id);
		}
		const frame = new SharedFrame(encodeAwareness(update));
		for (const connection of this.connections) {
			if (connection !== origin) connection.send(frame);
		}
		if (origin !== 'bus')
			this.#ctx.bus.publish({ kind: 'awareness', roomId: this.id, data: update });
	};

	#scheduleUnload(): void {
		clearTimeout(this.#unloadTimer);
		this.#unloadTimer = setTimeout(() => {
			this.#unloadTimer = undefined;
			if (this.connections.size > 0) return;
			if (this.#pending > 0) return this.#scheduleUnload();
			this.compact();
			this.destroy();
			this.#ctx.unloaded(this);
		}, this.#ctx.config.ROOM_IDLE_UNLOAD_MS);
	}
}
