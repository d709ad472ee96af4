/**
 * Who is online, across instances (docs/design.md "Online"): a user is online while at least
 * one of their tabs holds a user socket (the summary channel, `/sync/_summaries`) on any
 * instance. Each instance counts its own sockets per user and tells the others, on the bus's
 * control channel, which users came and went (one `online` message per tick, however many
 * sockets opened or closed in it); every ONLINE_BEAT_MS it repeats its whole list (`full`), so
 * a lost message heals and an instance that stopped beating — killed, cut from Redis — has its
 * users expire after ONLINE_EXPIRY_BEATS beats. A starting instance (and one whose bus
 * resynced) asks the others to send their lists now (`ask`), so it knows everybody within one
 * bus hop. Nothing is stored: presence is what the instances hold in memory.
 */
import type { Bus, ControlBusMessage, Unsubscribe } from './types';

/** How often an instance repeats its whole list of online users. */
export const ONLINE_BEAT_MS = 15_000;
/** An instance not heard of for this many beats has gone: its users are offline (unless elsewhere). */
export const ONLINE_EXPIRY_BEATS = 3;

export type OnlineMessage = Extract<ControlBusMessage, { kind: 'online' }>;

/** A user's status changed (as the whole cluster sees it). */
export interface OnlineChange {
	readonly userId: string;
	readonly online: boolean;
}

export interface OnlineUsersOptions {
	readonly bus: Bus;
	/** Default: ONLINE_BEAT_MS. */
	readonly beatMs?: number;
	/** The clock that ages other instances' lists. Default: Date.now. */
	readonly now?: () => number;
}

interface Remote {
	readonly users: Set<string>;
	seenAt: number;
}

export class OnlineUsers {
	readonly #bus: Bus;
	readonly #beatMs: number;
	readonly #now: () => number;
	/** userId -> this instance's sockets of theirs. */
	readonly #local = new Map<string, number>();
	/** instanceId -> the users online there, and when it was last heard of. */
	readonly #remote = new Map<string, Remote>();
	/** This tick's local arrivals and departures, told in one message (null: none queued). */
	#pending: { came: Set<string>; went: Set<string> } | null = null;
	readonly #listeners = new Set<(changes: readonly OnlineChange[]) => void>();
	readonly #unsubscribe: Unsubscribe[] = [];
	readonly #timer: ReturnType<typeof setInterval>;
	#closed = false;

	constructor(options: OnlineUsersOptions) {
		this.#bus = options.bus;
		this.#beatMs = options.beatMs ?? ONLINE_BEAT_MS;
		this.#now = options.now ?? Date.now;
		this.#unsubscribe.push(
			this.#bus.onControl((message) => {
				if (message.kind === 'online') this.heard(message);
			}),
			this.#bus.onResync(() => this.#tellAll(true))
		);
		this.#timer = setInterval(() => this.beat(), this.#beatMs);
		this.#timer.unref();
		this.#tellAll(true);
	}

	/** Whether the user has a user socket open on any instance. */
	isOnline(userId: string): boolean {
		if ((this.#local.get(userId) ?? 0) > 0) return true;
		for (const remote of this.#remote.values()) if (remote.users.has(userId)) return true;
		return false;
	}

	/** Calls `listener` with the users whose status changed (in batches); returns how to stop. */
	onChange(listener: (changes: readonly OnlineChange[]) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** A user socket of this user opened here. */
	connected(userId: string): void {
		const sockets = this.#local.get(userId) ?? 0;
		const before = sockets === 0 && this.isOnline(userId);
		this.#local.set(userId, sockets + 1);
		if (sockets > 0) return;
		this.#queue(userId, true);
		if (!before) this.#emit([{ userId, online: true }]);
	}

	/** A user socket of this user closed here. */
	disconnected(userId: string): void {
		const sockets = this.#local.get(userId) ?? 0;
		if (sockets > 1) {
			this.#local.set(userId, sockets - 1);
			return;
		}
		if (sockets === 0) return;
		this.#local.delete(userId);
		this.#queue(userId, false);
		if (!this.isOnline(userId)) this.#emit([{ userId, online: false }]);
	}

	/** Another instance's message (the bus hands it over; tests call it directly too). */
	heard(message: OnlineMessage): void {
		if (this.#closed || message.instanceId === this.#bus.instanceId) return;
		const affected = new Set<string>(message.full ? [] : [...message.came, ...message.went]);
		const known = this.#remote.get(message.instanceId);
		if (message.full) {
			for (const userId of known?.users ?? []) affected.add(userId);
			for (const userId of message.came) affected.add(userId);
		}
		const before = new Map([...affected].map((userId) => [userId, this.isOnline(userId)]));
		const remote: Remote = known ?? { users: new Set(), seenAt: 0 };
		remote.seenAt = this.#now();
		if (message.full) remote.users.clear();
		for (const userId of message.came) remote.users.add(userId);
		if (!message.full) for (const userId of message.went) remote.users.delete(userId);
		// An instance with nobody online (or one closing) needs no entry.
		if (remote.users.size > 0) this.#remote.set(message.instanceId, remote);
		else this.#remote.delete(message.instanceId);
		this.#emitChanged(before);
		if (message.ask) this.#tellAll(false);
	}

	/**
	 * One beat: this instance's whole list goes out, and the lists of instances not heard of for
	 * ONLINE_EXPIRY_BEATS beats are dropped (the timer calls it; tests call it directly).
	 */
	beat(): void {
		if (this.#closed) return;
		this.#tellAll(false);
		const oldest = this.#now() - this.#beatMs * ONLINE_EXPIRY_BEATS;
		for (const [instanceId, remote] of [...this.#remote]) {
			if (remote.seenAt > oldest) continue;
			this.#remote.delete(instanceId);
			const before = new Map([...remote.users].map((userId) => [userId, true]));
			this.#emitChanged(before);
		}
	}

	/** Stops, telling the others that this instance's users left it. */
	close(): void {
		if (this.#closed) return;
		clearInterval(this.#timer);
		this.#local.clear();
		this.#pending = null;
		this.#tellAll(false);
		this.#closed = true;
		for (const unsubscribe of this.#unsubscribe) unsubscribe();
		this.#listeners.clear();
	}

	#queue(userId: string, came: boolean): void {
		if (!this.#pending) {
			this.#pending = { came: new Set(), went: new Set() };
			setImmediate(() => this.#flush());
		}
		const { came: arrived, went } = this.#pending;
		if (came) {
			if (!went.delete(userId)) arrived.add(userId);
		} else if (!arrived.delete(userId)) {
			went.add(userId);
		}
	}

	#flush(): void {
		const pending = this.#pending;
		this.#pending = null;
		if (!pending || this.#closed) return;
		if (pending.came.size === 0 && pending.went.size === 0) return;
		this.#bus.publish({
			kind: 'online',
			instanceId: this.#bus.instanceId,
			full: false,
			ask: false,
			came: [...pending.came],
			went: [...pending.went]
		});
	}

	/** Publishes this instance's whole list (asking the others for theirs when `ask`). */
	#tellAll(ask: boolean): void {
		if (this.#closed) return;
		this.#pending = null;
		this.#bus.publish({
			kind: 'online',
			instanceId: this.#bus.instanceId,
			full: true,
			ask,
			came: [...this.#local.keys()],
			went: []
		});
	}

	/** Emits the users whose status differs from `before`. */
	#emitChanged(before: ReadonlyMap<string, boolean>): void {
		const changes: OnlineChange[] = [];
		for (const [userId, was] of before) {
			const now = this.isOnline(userId);
			if (now !== was) changes.push({ userId, online: now });
		}
		this.#emit(changes);
	}

	#emit(changes: readonly OnlineChange[]): void {
		if (changes.length === 0) return;
		for (const listener of this.#listeners) listener(changes);
	}
}
