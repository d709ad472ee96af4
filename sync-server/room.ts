/**
 * One active room: the wiring of its units. Frames come down from its connections; the gate
 * judges them; accepted updates go to the commit log. What is durable comes back as events the
 * room listens to (its commit channel, its bus channel) and goes out through the forwarder,
 * the STORED receipts and the awareness. Transport-free: sockets are `SyncSocket`s.
 */
import * as Y from 'yjs';
import { GateRule, refusal } from '../src/lib/protocol/gate-rules';
import { CloseCode } from '../src/lib/protocol/wire';
import type { CommitChannel, Durable, DropReason } from './commit-log';
import { CompactionPolicy } from './compaction';
import { Connection, type ConnectionUser, type RoomPort } from './connection';
import { Forwarder } from './forwarder';
import { checkUpdate } from './gate';
import { GateLookups } from './gate-lookups';
import { LogPosition } from './log-position';
import type { Logger } from './logger';
import {
	encodeAwareness,
	encodeStoredReceipt,
	encodeStoredReceiptOf,
	encodeSyncStep1Of,
	encodeSyncStep2,
	mergeAwarenessUpdates
} from './protocol';
import { RoomAwareness } from './room-awareness';
import type {
	PendingUpdate,
	RoomConfig,
	RoomContext,
	RoomMetrics,
	SealOutcome
} from './room-context';
import { subscribeRoom } from './room-bus';
import { RoomLifecycle, Sealer, type SealAttempt } from './sealing';
import { SharedFrame } from './shared-frame';
import { UpdateIntake } from './update-intake';
import type { LoadedHead } from './room-log';
import type { SyncSocket, Unsubscribe } from './types';
import { AWARENESS_STATE_COST_BYTES, MESSAGE_COST_BYTES } from './user-budget';

export { Connection, type ConnectionUser } from './connection';
export type {
	PendingUpdate,
	RoomConfig,
	RoomContext,
	RoomMetrics,
	SealOutcome
} from './room-context';
export type { AwarenessPolicy } from './room-awareness';
export type { UpdateAdmission } from './admission';

/** An update with no structs and an empty delete set (what a peer with nothing new sends). */
function isEmptyUpdate(update: Uint8Array): boolean {
	return update.length === 2 && update[0] === 0 && update[1] === 0;
}

/** Whether a transaction changed the doc's state: what makes Yjs emit 'update' (same test). */
function changedState(transaction: Y.Transaction): boolean {
	if (transaction.deleteSet.clients.size > 0) return true;
	for (const [client, clock] of transaction.afterState) {
		if (transaction.beforeState.get(client) !== clock) return true;
	}
	return false;
}

/**
 * A room asleep keeps its document as encoded bytes only (~1/3 of a Y.Doc's memory) and
 * rebuilds it on the next use; a head larger than this stays awake, so waking never holds the
 * event loop for long (100 messages: ~1 ms; 1,000: ~10 ms).
 */
export const SLEEP_MAX_MESSAGES = 1_000;

export class Room implements RoomPort {
	/** The live document, or null while the room sleeps (then `#asleep` holds its state). */
	#doc: Y.Doc | null = null;
	/** The document's state as one update while the room sleeps (ROOM_SLEEP_MS). */
	#asleep: Uint8Array | null = null;
	/** performance.now() of the last use of the document (what keeps a room awake). */
	#usedAt = performance.now();
	#sleepTimer: ReturnType<typeof setTimeout> | undefined;
	/** Awareness changes waiting to go out as one frame (AWARENESS_BATCH_MS). */
	#awarenessOut: { readonly update: Uint8Array; readonly from: Connection | null }[] = [];
	#awarenessTimer: ReturnType<typeof setTimeout> | undefined;
	readonly connections = new Set<Connection>();
	readonly log: Logger;
	readonly metrics: RoomMetrics | undefined;
	readonly #epoch: number;
	readonly #ctx: RoomContext;
	readonly #lifecycle = new RoomLifecycle();
	readonly #awareness: RoomAwareness<Connection>;
	readonly #forwarder = new Forwarder<Connection>(() => this.connections);
	readonly #commits: CommitChannel<PendingUpdate>;
	readonly #compaction: CompactionPolicy;
	readonly #sealer: Sealer;
	readonly #lookups: GateLookups;
	/** The cache of the room log's clientID owners and high-water marks, raised by commits. */
	readonly #owners: Map<number, string>;
	#highWater = new Map<number, number>();
	#afterCommit: (() => void)[] = [];
	/** Where updates wait, in order, for the gate's storage lookups or for a seal to end. */
	readonly #intake: UpdateIntake<Connection>;
	/** `fullStateStep2()`'s frame; dropped on every change of the doc. */
	#fullState: Uint8Array | null = null;
	/** `stateVector()`'s bytes; dropped likewise. */
	#stateVector: Uint8Array | null = null;
	#compactScheduled = false;
	#sealScheduled = false;
	/** A scheduled seal met uncommitted updates: seal right after the next commit instead. */
	#sealAfterCommit = false;
	readonly #position: LogPosition;
	#unloadTimer: ReturnType<typeof setTimeout> | undefined;
	/** The owner archived the room: the gate refuses new messages (settingsChanged re-reads it). */
	#archived = false;
	readonly #unsubscribe: Unsubscribe;

	/**
	 * Loads a room from the room log: subscribed to the bus first (what is published meanwhile
	 * waits, then is applied or skipped by its seq), then its state, then live.
	 */
	static async load(id: string, ctx: RoomContext): Promise<Room> {
		const subscription = subscribeRoom(ctx.bus, id, ctx.log);
		let room: Room;
		try {
			const [loaded, archived] = await Promise.all([
				ctx.roomLog.load(id),
				ctx.roomLog.isArchived(id)
			]);
			room = new Room(id, ctx, loaded, subscription.unsubscribe);
			room.#archived = archived;
		} catch (error) {
			subscription.unsubscribe();
			throw error;
		}
		try {
			room.#highWater = await ctx.roomLog.raiseHighWaterToState(
				id,
				Y.decodeStateVector(Y.encodeStateVector(room.doc))
			);
		} catch (error) {
			room.destroy();
			throw error;
		}
		room.#lifecycle.loaded();
		subscription.deliverTo({
			update: (seq, data) => {
				if (room.#position.fromBus(seq, data)) room.#compaction.appended(data.byteLength);
			},
			awareness: (data) => !room.gone && room.#awareness.applyFromBus(data),
			revoke: (userId) => room.closeUser(userId, CloseCode.FORBIDDEN, 'membership revoked'),
			epoch: (epoch) => epoch > room.epoch && room.epochChanged(),
			resync: () => void room.catchUp()
		});
		return room;
	}

	private constructor(
		readonly id: string,
		ctx: RoomContext,
		loaded: LoadedHead,
		unsubscribe: Unsubscribe
	) {
		this.#ctx = ctx;
		this.log = ctx.log;
		this.metrics = ctx.metrics;
		this.#unsubscribe = unsubscribe;
		// Built in a method: a doc captured here would be kept alive by every closure below.
		const snapshotBytes = this.#loadDoc(loaded.updates);
		this.#position = new LogPosition({
			roomId: id,
			epoch: loaded.epoch,
			loadedSeq: loaded.seq,
			roomLog: ctx.roomLog,
			apply: (data, origin) => this.#applyCommitted(data, origin),
			epochChanged: () => this.epochChanged(),
			gone: () => this.gone,
			log: ctx.log
		});
		this.#epoch = loaded.epoch;
		this.#owners = loaded.owners;
		this.#highWater = loaded.highWater;
		this.#compaction = new CompactionPolicy(ctx.config.COMPACT_AFTER_UPDATES, {
			logLength: loaded.logLength,
			snapshotBytes
		});
		this.#sealer = new Sealer({ ...ctx, roomId: id, sealedAtMs: loaded.sealedAtMs });
		this.#lookups = new GateLookups(
			id,
			ctx.roomLog,
			this.#epoch > 0,
			ctx.signatures,
			loaded.encrypted ?? false
		);
		this.#intake = new UpdateIntake<Connection>({
			gate: (connection, update) => this.#gate(connection, update),
			fetchMissed: () => this.#lookups.fetchMissed(),
			paused: () => this.#lifecycle.phase === 'sealing',
			drained: () => this.#committedAll(),
			log: ctx.log,
			roomId: id
		});
		// Its own (empty) doc: the room's may sleep, and a destroyed doc takes its awareness along.
		this.#awareness = new RoomAwareness(new Y.Doc(), ctx.awarenessPolicy, (update, from, fromBus) =>
			this.#awarenessChanged(update, from, fromBus)
		);
		this.#commits = ctx.commits.attach({
			durable: (entries) => this.#durable(entries),
			dropped: (_items, reason) => this.#dropped(reason),
			claimed: (item, clientId, owner) => this.#claimed(item, clientId, owner)
		});
		this.#scheduleSleep();
	}

	/** The room's document; a sleeping room wakes (rebuilds it from its state) first. */
	get doc(): Y.Doc {
		this.#usedAt = performance.now();
		return this.#doc ?? this.#wake();
	}

	/** Whether the room sleeps: its document is only encoded bytes until the next use. */
	get asleep(): boolean {
		return this.#asleep !== null;
	}

	/** Builds the live doc from the stored updates; returns their bytes. */
	#loadDoc(updates: readonly Uint8Array[]): number {
		let bytes = 0;
		const doc = this.#newDoc();
		doc.transact(() => {
			for (const update of updates) {
				Y.applyUpdate(doc, update, 'store');
				bytes += update.byteLength;
			}
		}, 'store');
		this.#doc = doc;
		return bytes;
	}

	#newDoc(): Y.Doc {
		const doc = new Y.Doc();
		// Not 'update': an 'update' listener makes Yjs encode every transaction as an update.
		doc.on('afterTransaction', (transaction: Y.Transaction) => {
			if (!changedState(transaction)) return;
			this.#fullState = null;
			this.#stateVector = null;
		});
		return doc;
	}

	#wake(): Y.Doc {
		const doc = this.#newDoc();
		if (this.#asleep) Y.applyUpdate(doc, this.#asleep, 'store');
		this.#asleep = null;
		this.#doc = doc;
		this.#scheduleSleep();
		return doc;
	}

	/**
	 * After ROOM_SLEEP_MS without any use of the document (no update, sync, catch-up, seal),
	 * the room keeps only its encoded state: everything committed is in it, nothing waits. The
	 * sockets, awareness, clientID owners and high-water marks stay as they are.
	 */
	#scheduleSleep(delayMs = this.#ctx.config.ROOM_SLEEP_MS): void {
		if (delayMs === undefined || this.#sleepTimer !== undefined) return;
		this.#sleepTimer = setTimeout(() => {
			this.#sleepTimer = undefined;
			this.#sleepIfIdle();
		}, delayMs);
		this.#sleepTimer.unref();
	}

	#sleepIfIdle(): void {
		const doc = this.#doc;
		const sleepMs = this.#ctx.config.ROOM_SLEEP_MS;
		if (this.gone || doc === null || sleepMs === undefined) return;
		const idleMs = performance.now() - this.#usedAt;
		if (idleMs < sleepMs) return this.#scheduleSleep(sleepMs - idleMs);
		const busy =
			this.#lifecycle.phase !== 'live' ||
			!this.#settled ||
			this.#compactScheduled ||
			this.#sealScheduled ||
			this.#sealAfterCommit ||
			this.#sealer.due(doc);
		if (busy || doc.getArray('messages').length > SLEEP_MAX_MESSAGES) {
			return this.#scheduleSleep();
		}
		this.#asleep = Y.encodeStateAsUpdate(doc);
		this.#doc = null;
		this.#fullState = null;
		this.#stateVector = null;
		doc.destroy();
	}

	/** The head's epoch (rooms.epoch when loaded); a room never changes epoch, it is replaced. */
	get epoch(): number {
		return this.#epoch;
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

	/** Nothing uncommitted, nothing held: what the doc holds is what the log holds. */
	get #settled(): boolean {
		return this.pending === 0 && this.#intake.size === 0;
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
			closed: (closed) => this.#removeConnection(closed),
			...(this.#ctx.pacer ? { pacer: this.#ctx.pacer } : {})
		});
		this.connections.add(connection);
		if (this.gone || (epoch !== undefined && epoch !== this.epoch)) {
			connection.close(CloseCode.EPOCH_CHANGED, 'epoch changed');
			return connection;
		}
		// y-websocket's server opens with its step 1 and the awareness states; we add the STORED
		// receipt for everything in the room. All of it waits until nothing is uncommitted. The
		// state vector is encoded once per change of the room, not once per new socket.
		this.whenCommitted(() => {
			const vector = this.stateVector();
			connection.send(encodeSyncStep1Of(vector));
			const states = this.awarenessFrame();
			if (states) connection.send(states);
			connection.send(encodeStoredReceiptOf(vector));
		});
		return connection;
	}

	#removeConnection(connection: Connection): void {
		if (!this.connections.delete(connection)) return;
		this.#awareness.release(connection);
		if (this.connections.size === 0 && !this.gone) this.#scheduleUnload();
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

	/** The user changed their display name: their connections carry the new one. */
	renameUser(userId: string, displayName: string): void {
		for (const connection of this.connections) {
			if (connection.user.userId === userId) connection.user = { ...connection.user, displayName };
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
		if (this.#settled) reply();
		else this.#afterCommit.push(reply);
	}

	/** Gate, apply in memory, hand to the commit log; in arrival order, held while storage answers. */
	acceptUpdate(connection: Connection, update: Uint8Array): void {
		if (!isEmptyUpdate(update)) this.#intake.accept(connection, update);
	}

	/**
	 * Runs the gate on one update and acts on its verdict. Returns false (nothing done) when the
	 * gate asked storage for something not known here: the update waits in the intake, which fetches and asks again.
	 */
	#gate(connection: Connection, update: Uint8Array): boolean {
		const { userId } = connection.user;
		const { config } = this.#ctx;
		const verdict = checkUpdate(
			this.doc,
			{ userId },
			update,
			{ maxMessageChars: config.MAX_MESSAGE_CHARS, maxUploadBytes: config.MAX_UPLOAD_BYTES },
			this.#owners,
			this.#highWater,
			this.#archived ? { ...this.#lookups.options, archived: true } : this.#lookups.options
		);
		if (this.#lookups.missed) return false;
		this.#lookups.runDone();
		if (!verdict.ok) {
			if (verdict.resync) connection.requestResync(verdict.reason);
			else connection.refuse(verdict.refusal);
			return true;
		}
		const maxMessages = config.MAX_MESSAGES_PER_UPDATE ?? Number.POSITIVE_INFINITY;
		if (verdict.ownMessageCount > maxMessages) {
			connection.refuseRate(`more than ${maxMessages} messages in one update`);
			return true;
		}
		// Nothing new (e.g. a reconnecting client re-sending what we have): nothing to store.
		if (verdict.noop) return true;
		// New clientIDs are the sender's from now on here (rule 5 for the next updates); the
		// commit claims them in storage, where another instance's earlier claim wins.
		const claims = verdict.clientIds.filter((clientId) => !this.#owners.has(clientId));
		for (const clientId of claims) this.#owners.set(clientId, userId);
		// Accepted whole (an honest backlog is never cut); what it costs paces the user's next frames.
		connection.charge(verdict.ownMessageCount * MESSAGE_COST_BYTES);
		// Applied at once so the next update in this tick is gated against it. The gate's bytes
		// are the update reduced to what the doc lacks; they are what we store and forward.
		Y.applyUpdate(this.doc, verdict.update, 'client');
		this.#commits.submit({
			roomId: this.id,
			epoch: this.epoch,
			data: verdict.update,
			userId,
			claims,
			clientIds: verdict.clientIds,
			clocks: verdict.clocks,
			fileIds: verdict.fileIds,
			connection,
			written: verdict.written
		});
		return true;
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

	/**
	 * Relays an awareness change to the room's sockets (and, from a client, to the bus at once).
	 * With AWARENESS_BATCH_MS, the changes of that window go out together as ONE frame per
	 * socket: presence is one socket write per member per change, the whole of its cost.
	 */
	#awarenessChanged(update: Uint8Array, from: Connection | null, fromBus: boolean): void {
		if (!fromBus) this.#ctx.bus.publish({ kind: 'awareness', roomId: this.id, data: update });
		this.#awarenessOut.push({ update, from });
		const batchMs = this.#ctx.config.AWARENESS_BATCH_MS;
		if (!batchMs) return this.#relayAwareness();
		this.#awarenessTimer ??= setTimeout(() => this.#relayAwareness(), batchMs);
	}

	#relayAwareness(): void {
		clearTimeout(this.#awarenessTimer);
		this.#awarenessTimer = undefined;
		const out = this.#awarenessOut;
		this.#awarenessOut = [];
		const first = out[0];
		if (!first || this.gone) return;
		// A lone sender's changes skip that sender; a mix goes to everyone (a client ignores its
		// own state coming back: its clock is not newer than its own).
		const from = out.every((change) => change.from === first.from) ? first.from : null;
		const update =
			out.length === 1 ? first.update : mergeAwarenessUpdates(out.map((change) => change.update));
		const frame = new SharedFrame(encodeAwareness(update));
		for (const connection of this.connections) {
			if (connection !== from) connection.send(frame);
		}
	}

	/** The doc's encoded state vector (`Y.encodeStateVector`), cached until it changes. */
	stateVector(): Uint8Array {
		this.#stateVector ??= Y.encodeStateVector(this.doc);
		return this.#stateVector;
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
		let gap = false;
		for (const { item, stored } of entries) {
			this.#compaction.appended(item.data.byteLength);
			this.#forwarder.push([{ data: item.data, sender: item.connection }]);
			for (const [clientId, clock] of item.clocks) {
				if (clock > (this.#highWater.get(clientId) ?? 0)) this.#highWater.set(clientId, clock);
			}
			// Another instance committed in between and its bus message has not reached us yet.
			if (!this.#position.committed(stored.seq)) gap = true;
			if (!item.connection.closed && item.clientIds.length > 0) {
				const ids = receipts.get(item.connection) ?? new Set<number>();
				for (const id of item.clientIds) ids.add(id);
				receipts.set(item.connection, ids);
			}
		}
		if (gap) void this.catchUp();
		this.#forwarder.schedule();
		for (const [connection, ids] of receipts) {
			const stored = new Map<number, number>();
			for (const id of ids) {
				const clock = Y.getState(this.doc.store, id);
				if (clock > 0) stored.set(id, clock);
			}
			if (stored.size > 0) connection.send(encodeStoredReceipt(stored));
		}
		this.#committedAll();
	}

	/**
	 * The owner changed the room's settings (here or on another instance): re-reads whether it
	 * is archived, which the gate applies from the next update on.
	 */
	async settingsChanged(): Promise<void> {
		const archived = await this.#ctx.roomLog.isArchived(this.id);
		if (!this.gone) this.#archived = archived;
	}

	/** Updates that can never commit: never acknowledged nor forwarded. */
	#dropped(reason: DropReason): void {
		if (this.gone) return;
		if (reason === 'stale-epoch') return this.epochChanged();
		this.closeAll(CloseCode.FORBIDDEN, 'room deleted');
	}

	/**
	 * Another instance claimed a clientID of this update first: refused (rule 5), and the doc,
	 * which holds an update the log never will, is reloaded (its sockets reconnect, 1012).
	 */
	#claimed(item: PendingUpdate, clientId: number, owner: string): void {
		if (this.gone) return;
		this.#owners.set(clientId, owner);
		const reason = `clientID ${clientId} belongs to another user`;
		item.connection.refuse(refusal(GateRule.CLIENT_IDS, reason));
		this.#leave(CloseCode.SERVICE_RESTART, 'room reloaded');
	}

	/** After a commit: deferred replies once nothing waits, then maybe a seal or compaction. */
	#committedAll(): void {
		if (this.gone) return;
		if (this.#settled) {
			const replies = this.#afterCommit;
			this.#afterCommit = [];
			for (const reply of replies) reply();
		}
		// Nothing is uncommitted right now: under steady traffic a later turn might never be so quiet.
		if (this.#sealAfterCommit && this.#settled) {
			this.#sealAfterCommit = false;
			void this.seal();
			return;
		}
		// A seal replaces the whole log: no compaction before it.
		if (this.#scheduleSeal()) return;
		if (this.#compaction.due && !this.#compactScheduled) {
			this.#compactScheduled = true;
			setImmediate(() => {
				this.#compactScheduled = false;
				void this.compact();
			});
		}
	}

	/**
	 * The store holds a newer epoch than this head (another instance sealed it): close every
	 * socket with 4409 and leave memory; the clients reconnect to the new head and re-send
	 * there what it lacks. Updates of this room still queued are dropped by the store.
	 */
	epochChanged(): void {
		this.#leave(CloseCode.EPOCH_CHANGED, 'epoch changed');
	}

	#leave(code: number, reason: string): void {
		if (this.gone) return;
		// What was committed here reaches the sockets before they close.
		this.#forwarder.flush();
		this.#lifecycle.leave();
		this.closeAll(code, reason);
		this.destroy();
		this.#ctx.unloaded(this);
	}

	/**
	 * Folds the log up to lastSeq into a snapshot. Skipped while updates are uncommitted (the
	 * doc would hold changes the log has not) and when there is nothing to fold. The state is
	 * taken now; the write follows.
	 */
	async compact(): Promise<void> {
		if (!this.#settled || this.#compaction.logLength === 0 || this.#doc?.isDestroyed) return;
		// A sleeping room's state is at hand: no need to wake it.
		const state = this.#asleep ?? Y.encodeStateAsUpdate(this.doc);
		this.#compaction.compacted(state.byteLength);
		try {
			await this.#ctx.roomLog.compact(this.id, this.lastSeq, state, this.epoch);
		} catch (error) {
			this.log.error({ err: error, roomId: this.id }, 'compaction failed');
		}
	}

	/** The highest seq of the room's log that the doc includes. */
	get lastSeq(): number {
		return this.#position.lastSeq;
	}

	/** Reads what the doc lacks from the room log (a gap on the bus, or a resync). */
	catchUp(): Promise<void> {
		return this.#position.catchUp();
	}

	/**
	 * Seals the head (docs/design.md, "History segments"): while the room log writes it, updates
	 * wait. On success every instance's sockets of the room close with 4409 (bus message
	 * 'epoch') and this room leaves memory; the next connection loads the small head.
	 * @param retryWhenBehind after catching up, try once more off the hot path (while another
	 *   instance keeps committing, its own commits seal: no loop here)
	 */
	async seal(retryWhenBehind = true): Promise<SealOutcome> {
		if (!this.sealDue) return 'skipped';
		if (!this.#settled) {
			this.#sealAfterCommit = true;
			return 'skipped';
		}
		if (!this.#lifecycle.beginSeal()) return 'skipped';
		const attempt: SealAttempt = await this.#sealer.seal(this.doc, {
			epoch: this.epoch,
			lastSeq: this.lastSeq
		});
		this.#lifecycle.sealAbandoned();
		if (this.gone) return 'skipped';
		if (attempt.outcome === 'sealed') {
			this.#ctx.sealed?.(this, attempt.seal, attempt.epoch);
			this.#ctx.bus.publish({ kind: 'epoch', roomId: this.id, epoch: attempt.epoch });
			this.epochChanged();
			return 'sealed';
		}
		if (attempt.outcome === 'behind') {
			// Another instance committed or sealed since this doc was last brought up to date.
			await this.catchUp();
			if (retryWhenBehind) this.#scheduleSeal(false);
		}
		this.#intake.release();
		return attempt.outcome === 'behind' ? 'behind' : 'skipped';
	}

	/** Schedules a seal off the hot path when one is due; true if one is (or was) scheduled. */
	#scheduleSeal(retryWhenBehind = true): boolean {
		if (!this.sealDue) return false;
		if (this.#sealScheduled) return true;
		this.#sealScheduled = true;
		setImmediate(() => {
			this.#sealScheduled = false;
			void this.seal(retryWhenBehind);
		});
		return true;
	}

	destroy(): void {
		clearTimeout(this.#unloadTimer);
		clearTimeout(this.#sleepTimer);
		clearTimeout(this.#awarenessTimer);
		this.#awarenessOut = [];
		this.#lifecycle.leave();
		this.#intake.clear();
		this.#forwarder.stop();
		this.#commits.close();
		this.#unsubscribe();
		this.#awareness.destroy();
		// A sleeping room has no document to destroy: a destroyed one stands for it from now on.
		this.#asleep = null;
		this.#doc ??= new Y.Doc();
		this.#doc.destroy();
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

	#scheduleUnload(): void {
		clearTimeout(this.#unloadTimer);
		this.#unloadTimer = setTimeout(() => {
			this.#unloadTimer = undefined;
			if (this.connections.size > 0 || this.gone) return;
			if (!this.#settled) return this.#scheduleUnload();
			// The state is taken before the room leaves; the write finishes on its own.
			void this.compact();
			this.destroy();
			this.#ctx.unloaded(this);
		}, this.#ctx.config.ROOM_IDLE_UNLOAD_MS);
	}
}
