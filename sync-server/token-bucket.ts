/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. Gate rule 6 uses one
 * per connection for "updates per second" (config UPDATES_PER_SECOND, UPDATES_BURST).
 * Pure apart from the clock, which is injectable so tests need not wait.
 */

export interface TokenBucketOptions {
	/** Tokens added per second (the sustained rate). */
	readonly ratePerSecond: number;
	/** Bucket size: how many may be taken at once after a quiet spell. Starts full. */
	readonly burst: number;
	/** Milliseconds from any fixed origin; must not go backwards. Default: performance.now. */
	readonly nowMs?: () => number;
}

export class TokenBucket {
	readonly #ratePerMs: number;
	readonly #burst: number;
	readonly #nowMs: () => number;
	#tokens: number;
	#lastMs: number;

	constructor(options: TokenBucketOptions) {
		if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
			throw new RangeError('a token bucket needs ratePerSecond > 0 and burst >= 1');
		}
		this.#ratePerMs = options.ratePerSecond / 1000;
		this.#burst = options.burst;
		this.#nowMs = options.nowMs ?? (() => performance.now());
		this.#tokens = options.burst;
		this.#lastMs = this.#nowMs();
	}

	/** Takes `count` tokens if there are that many now; false (and takes none) otherwise. */
	tryTake(count = 1): boolean {
		this.#refill();
		if (this.#tokens < count) return false;
		this.#tokens -= count;
		return true;
	}

	/**
	 * Takes `count` tokens whatever is left: the balance may go below zero (a debt the refill
	 * pays back). For costs known only afterwards (bytes sent, messages created).
	 */
	charge(count: number): void {
		this.#refill();
		this.#tokens -= count;
	}

	/** Milliseconds until the balance is at least `count` (0 if it is already). */
	msUntil(count: number): number {
		const missing = count - this.tokens;
		return missing <= 0 ? 0 : missing / this.#ratePerMs;
	}

	/** Tokens available now (fractional while refilling; negative while in debt). */
	get tokens(): number {
		this.#refill();
		return this.#tokens;
	}

	#refill(): void {
		const now = this.#nowMs();
		// A clock that steps back (it should not) must not mint tokens later.
		const elapsed = Math.max(0, now - this.#lastMs);
		this.#lastMs = Math.max(now, this.#lastMs);
		this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
	}
}

/**
 * Per-connection admission for the sync server (room.ts `UpdateAdmission`): each call makes
 * a fresh bucket and returns its "may one more update pass now?" function.
 */
export function createUpdateAdmission(options: TokenBucketOptions): () => () => boolean {
	return () => {
		const bucket = new TokenBucket(options);
		return () => bucket.tryTake();
	};
}
