/**
 * The per-user budget (gate rule 6, docs/design.md "The gate"): one token bucket per user on
 * this instance, shared by all of that user's sockets, that every frame draws from in
 * proportion to what it costs the instance. Units are bytes-equivalents: bytes in, bytes out,
 * plus a weight per message created and per frame. A user in debt (balance below zero) is
 * paced, not refused: their sockets' next frames wait (and the sockets stop being read) until
 * the refill has paid the debt back. Pure apart from the clock, which is injectable.
 */
import { TokenBucket } from './token-bucket';

/** What one frame costs beyond its bytes (decoding, dispatch, a syscall): no frame is free. */
export const FRAME_COST_BYTES = 1_024;
/**
 * What one message created costs: gate, apply, SQLite, search index, fan-out, and its share of
 * the head's growth towards a seal. At the default budget (2 MB/s, 16 MB burst) a user creates
 * ~60 messages/s sustained and ~500 in a burst; a bigger offline backlog passes whole and
 * paces what the user sends next.
 */
export const MESSAGE_COST_BYTES = 32 * 1_024;
/** What opening a socket costs (session check, room attach, the opening frames). */
export const CONNECTION_COST_BYTES = 64 * 1_024;
/** What one awareness state relayed costs per recipient beyond its bytes. */
export const AWARENESS_STATE_COST_BYTES = 64;

export interface UserBudgetOptions {
	/** Refill rate, in bytes-equivalents per second (config USER_BUDGET_BYTES_PER_SECOND). */
	readonly bytesPerSecond: number;
	/** Bucket size (config USER_BUDGET_BURST_BYTES). Starts full. */
	readonly burstBytes: number;
	/** Milliseconds from any fixed origin. Default: performance.now. */
	readonly nowMs?: () => number;
}

/** One user's budget as a connection sees it. */
export interface UserBudget {
	/** Draws `bytes` (may go into debt). */
	charge(bytes: number): void;
	/** True while the balance is below zero: the user's next frames wait. */
	readonly overdrawn: boolean;
	/** Milliseconds until the debt is paid back (0 if not overdrawn). */
	msUntilPaid(): number;
	/** The connection is gone; call once per `acquire`. */
	release(): void;
}

/** The budgets of every user with a socket on this instance (and of those whose debt lingers). */
export class UserBudgets {
	readonly #options: UserBudgetOptions;
	readonly #entries = new Map<string, { bucket: TokenBucket; holders: number }>();

	constructor(options: UserBudgetOptions) {
		this.#options = options;
	}

	/** How many users have a budget in memory (for tests and metrics). */
	get size(): number {
		return this.#entries.size;
	}

	/** The user's budget, shared with their other sockets here. */
	acquire(userId: string): UserBudget {
		let entry = this.#entries.get(userId);
		if (!entry) {
			entry = {
				bucket: new TokenBucket({
					ratePerSecond: this.#options.bytesPerSecond,
					burst: this.#options.burstBytes,
					nowMs: this.#options.nowMs
				}),
				holders: 0
			};
			this.#entries.set(userId, entry);
		}
		entry.holders++;
		const { bucket } = entry;
		let released = false;
		return {
			charge: (bytes) => bucket.charge(bytes),
			get overdrawn() {
				return bucket.tokens < 0;
			},
			msUntilPaid: () => bucket.msUntil(0),
			release: () => {
				if (released) return;
				released = true;
				this.#release(userId);
			}
		};
	}

	#release(userId: string): void {
		const entry = this.#entries.get(userId);
		if (!entry) return;
		entry.holders--;
		this.#forgetWhenFull(userId);
	}

	/**
	 * Forgets a budget once nobody holds it AND it is full again: closing and reopening sockets
	 * must not mint a fresh burst.
	 */
	#forgetWhenFull(userId: string): void {
		const entry = this.#entries.get(userId);
		if (!entry || entry.holders > 0) return;
		const waitMs = entry.bucket.msUntil(this.#options.burstBytes);
		if (waitMs <= 0) {
			this.#entries.delete(userId);
			return;
		}
		setTimeout(() => this.#forgetWhenFull(userId), Math.ceil(waitMs)).unref();
	}
}
