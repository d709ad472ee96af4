/**
 * Fixed-window rate limiting, in memory (per process). Pure apart from the injectable clock,
 * so tests drive time by hand. Good enough for one instance; each instance limits on its own.
 */

export type RateLimitVerdict =
	| { readonly allowed: true; readonly remaining: number }
	| { readonly allowed: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
	/** Counts one attempt for `key` and says whether it is allowed. */
	consume(key: string): RateLimitVerdict;
	/** Gives back one attempt of `key`'s current window (one that turned out not to count). */
	refund(key: string): void;
	/** Forgets `key` (e.g. after a successful login). */
	reset(key: string): void;
	/** How many keys are tracked (for tests and memory bounds). */
	size(): number;
}

export interface RateLimiterOptions {
	readonly maxAttempts: number;
	readonly windowMs: number;
	/** Milliseconds since the epoch; defaults to Date.now. */
	readonly now?: () => number;
	/** Sweep expired windows once this many keys are tracked, so memory stays bounded. */
	readonly sweepAt?: number;
}

interface Window {
	startedAt: number;
	count: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
	const now = options.now ?? Date.now;
	const sweepAt = options.sweepAt ?? 10_000;
	const windows = new Map<string, Window>();

	function sweep(at: number): void {
		for (const [key, window] of windows) {
			if (at - window.startedAt >= options.windowMs) windows.delete(key);
		}
	}

	return {
		consume(key: string): RateLimitVerdict {
			const at = now();
			if (windows.size >= sweepAt) sweep(at);
			let window = windows.get(key);
			if (!window || at - window.startedAt >= options.windowMs) {
				window = { startedAt: at, count: 0 };
				windows.set(key, window);
			}
			if (window.count >= options.maxAttempts) {
				const retryAfterMs = window.startedAt + options.windowMs - at;
				return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
			}
			window.count++;
			return { allowed: true, remaining: options.maxAttempts - window.count };
		},
		refund(key: string): void {
			const window = windows.get(key);
			if (window && window.count > 0) window.count--;
		},
		reset(key: string): void {
			windows.delete(key);
		},
		size(): number {
			return windows.size;
		}
	};
}

/**
 * Who a login attempt is counted against, for one account: its known devices and known addresses
 * each have their own bucket, everyone else shares one. So a stranger guessing a password fills
 * only the strangers' bucket, and the owner still logs in from where they logged in before.
 */
export type LoginOrigin =
	| { readonly kind: 'device'; readonly deviceId: string }
	| { readonly kind: 'address' }
	| { readonly kind: 'stranger' };

/** The login limiter's key for an attempt on `username` from `origin`. */
export function loginKey(username: string, clientAddress: string, origin: LoginOrigin): string {
	const account = username.toLowerCase();
	if (origin.kind === 'device') return `${account}\u0000device\u0000${origin.deviceId}`;
	if (origin.kind === 'address') return `${account}\u0000address\u0000${clientAddress}`;
	return `${account}\u0000stranger`;
}
