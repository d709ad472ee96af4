/**
 * The commit log: where a room hands the updates its gate accepted, and the only unit that
 * writes them. Every update submitted during one event-loop turn, in any room, is appended in
 * ONE storage transaction (group commit, scheduled with setImmediate); a failed commit keeps
 * the queue, forwards nothing and retries with backoff. Only THEN does it tell what is durable:
 * first the listeners of every commit (the bus publisher, the search indexer), then each room
 * through the channel it attached. Nothing here calls into a room: rooms listen.
 */
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type {
	CommitItem,
	CommitOutcome,
	RoomLogStorage,
	StoredUpdate
} from '../src/lib/server/storage/types';
import { UnknownRoomError, type Unsubscribe } from './types';

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5_000;

/**
 * The part of the storage the commit log writes to: `storage.roomLog.commit`, ONE transaction
 * per call that appends every item with a gapless per-room seq, records its clientID claims
 * and raises its high-water marks. Rejects with UnknownRoomError for a deleted room, or any
 * other error: nothing of the batch is then stored (retried).
 */
export type RoomLogWriter = Pick<RoomLogStorage, 'commit'>;

/** An accepted update on its way to storage, with what its room needs once it is durable. */
export interface CommitRequest extends CommitItem {
	readonly roomId: string;
	/** The room's epoch when it was gated: if the head was sealed since, it is not stored. */
	readonly epoch: number;
	/** Per clientID written, the clock after its last struct: high-water marks raised with it. */
	readonly clocks: ReadonlyMap<number, number>;
	/** The clientIDs the update writes with (its sender is owed a STORED receipt for them). */
	readonly clientIds: readonly number[];
}

/** A submitted update and where it now is in its room's log. */
export interface Durable<T extends CommitRequest> {
	readonly item: T;
	readonly stored: StoredUpdate;
}

/** Why updates will never commit. */
export type DropReason =
	/** The head was sealed (by another instance) after they were gated. */
	| 'stale-epoch'
	/** The room was deleted. */
	| 'room-deleted';

/** What a room hears from the commit log, in commit order. */
export interface RoomCommitListener<T extends CommitRequest> {
	/** These updates of the room are durable (one call per commit, oldest first). */
	durable(entries: readonly Durable<T>[]): void;
	/** These updates will never commit: never acknowledged nor forwarded. */
	dropped(items: readonly T[], reason: DropReason): void;
	/** Refused by the commit: `clientId` belongs to `owner`, who claimed it first (gate rule 5). */
	claimed(item: T, clientId: number, owner: string): void;
}

/** A room's way into the commit log. */
export interface CommitChannel<T extends CommitRequest> {
	submit(item: T): void;
	/** Updates submitted here and not committed (nor dropped) yet. */
	readonly pending: number;
	/** Stops listening; what is still queued commits, and nobody here is told. */
	close(): void;
}

export interface CommitLogOptions {
	readonly writer: RoomLogWriter;
	readonly log: Logger;
	readonly metrics?: Pick<Metrics, 'updatesAccepted' | 'storeCommitSeconds'>;
}

interface Channel<T extends CommitRequest> {
	readonly listener: RoomCommitListener<T>;
	pending: number;
	open: boolean;
}

interface Claimed<T extends CommitRequest> {
	readonly item: T;
	readonly clientId: number;
	readonly owner: string;
}

interface Queued<T extends CommitRequest> {
	readonly item: T;
	readonly channel: Channel<T>;
}

export class CommitLog<T extends CommitRequest> {
	readonly #writer: RoomLogWriter;
	readonly #log: Logger;
	readonly #metrics: CommitLogOptions['metrics'];
	readonly #commitListeners = new Set<(entries: readonly Durable<T>[]) => void>();
	#queue: Queued<T>[] = [];
	#flushScheduled = false;
	#flushing: Promise<boolean> | null = null;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#retryDelayMs = 0;

	constructor(options: CommitLogOptions) {
		this.#writer = options.writer;
		this.#log = options.log;
		this.#metrics = options.metrics;
	}

	/** Updates submitted and not committed yet, in every room. */
	get pendingCount(): number {
		return this.#queue.length;
	}

	/** Attaches a room: what it submits through the channel, it hears about through `listener`. */
	attach(listener: RoomCommitListener<T>): CommitChannel<T> {
		const channel: Channel<T> = { listener, pending: 0, open: true };
		return {
			submit: (item) => this.#submit(item, channel),
			get pending() {
				return channel.pending;
			},
			close: () => {
				channel.open = false;
			}
		};
	}

	/** Hears about every commit, all rooms together (after it is durable, before the rooms). */
	onCommit(listener: (entries: readonly Durable<T>[]) => void): Unsubscribe {
		this.#commitListeners.add(listener);
		return () => this.#commitListeners.delete(listener);
	}

	#submit(item: T, channel: Channel<T>): void {
		this.#queue.push({ item, channel });
		channel.pending++;
		// While a retry (or a commit) is under way, new updates simply join the next batch.
		if (this.#flushScheduled || this.#retryTimer || this.#flushing) return;
		this.#flushScheduled = true;
		setImmediate(() => void this.flush());
	}

	/**
	 * Commits the queue in one transaction, then tells the listeners. Resolves to false if it
	 * failed (a retry is scheduled). One commit at a time: a call during one waits for it and
	 * then commits what queued meanwhile.
	 */
	async flush(): Promise<boolean> {
		while (this.#flushing) await this.#flushing;
		this.#flushScheduled = false;
		clearTimeout(this.#retryTimer);
		this.#retryTimer = undefined;
		if (this.#queue.length === 0) return true;
		this.#flushing = this.#commit();
		try {
			return await this.#flushing;
		} finally {
			this.#flushing = null;
			if (this.#queue.length > 0 && !this.#retryTimer && !this.#flushScheduled) {
				this.#flushScheduled = true;
				setImmediate(() => void this.flush());
			}
		}
	}

	async #commit(): Promise<boolean> {
		const batch = this.#queue;
		this.#queue = [];
		const endTimer = this.#metrics?.storeCommitSeconds.startTimer();
		let stored: readonly CommitOutcome[];
		try {
			stored = await this.#writer.commit(batch.map(({ item }) => item));
			endTimer?.();
		} catch (error) {
			// Back at the head of the queue, in order, before what arrived meanwhile.
			this.#queue = [...batch, ...this.#queue];
			this.#commitFailed(error);
			return false;
		}
		if (stored.length !== batch.length) {
			throw new Error('the room log returned fewer entries than it was given');
		}
		this.#retryDelayMs = 0;
		const durable: Durable<T>[] = [];
		const perChannel = new Map<
			Channel<T>,
			{ durable: Durable<T>[]; stale: T[]; claimed: Claimed<T>[] }
		>();
		batch.forEach(({ item, channel }, index) => {
			channel.pending--;
			let entry = perChannel.get(channel);
			if (!entry) {
				entry = { durable: [], stale: [], claimed: [] };
				perChannel.set(channel, entry);
			}
			const outcome = stored[index] as CommitOutcome;
			if (outcome.status === 'stale-epoch') return void entry.stale.push(item);
			if (outcome.status === 'claimed') return void entry.claimed.push({ item, ...outcome });
			const committed = { item, stored: { seq: outcome.seq, data: outcome.data } };
			durable.push(committed);
			entry.durable.push(committed);
		});
		this.#metrics?.updatesAccepted.inc(durable.length);
		if (durable.length > 0) {
			for (const listener of this.#commitListeners) this.#tell(() => listener(durable));
		}
		for (const [channel, entry] of perChannel) {
			if (!channel.open) continue;
			if (entry.durable.length > 0) this.#tell(() => channel.listener.durable(entry.durable));
			if (entry.stale.length > 0) {
				const roomId = entry.stale[0]?.roomId;
				this.#log.info(
					{ roomId, epoch: entry.stale[0]?.epoch },
					'updates of a sealed head dropped'
				);
				this.#tell(() => channel.listener.dropped(entry.stale, 'stale-epoch'));
			}
			for (const { item, clientId, owner } of entry.claimed) {
				this.#tell(() => channel.listener.claimed(item, clientId, owner));
			}
		}
		return true;
	}

	/** A listener's failure is its own: the commit stands and the others are told. */
	#tell(notify: () => void): void {
		try {
			notify();
		} catch (error) {
			this.#log.error({ err: error }, 'commit listener failed');
		}
	}

	#commitFailed(error: unknown): void {
		if (error instanceof UnknownRoomError) {
			// The room was deleted under us: its updates can never commit. Drop them, retry the rest.
			const roomId = error.roomId;
			const dropped = this.#queue.filter(({ item }) => item.roomId === roomId);
			this.#queue = this.#queue.filter(({ item }) => item.roomId !== roomId);
			const perChannel = new Map<Channel<T>, T[]>();
			for (const { item, channel } of dropped) {
				channel.pending--;
				perChannel.set(channel, [...(perChannel.get(channel) ?? []), item]);
			}
			this.#log.warn({ roomId, dropped: dropped.length }, 'room deleted; updates dropped');
			for (const [channel, items] of perChannel) {
				if (channel.open) this.#tell(() => channel.listener.dropped(items, 'room-deleted'));
			}
			this.#retryTimer = setTimeout(() => void this.flush(), 0);
			return;
		}
		this.#retryDelayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.#retryDelayMs * 2));
		this.#log.error(
			{ err: error, pending: this.#queue.length, retryInMs: this.#retryDelayMs },
			'commit failed; will retry'
		);
		this.#retryTimer = setTimeout(() => void this.flush(), this.#retryDelayMs);
	}

	/** Stops retrying (shutdown, after a last flush). */
	close(): void {
		clearTimeout(this.#retryTimer);
		this.#retryTimer = undefined;
		this.#commitListeners.clear();
	}
}
