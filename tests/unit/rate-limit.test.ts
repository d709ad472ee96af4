import { describe, expect, it } from 'vitest';
import { createRateLimiter, loginKey } from '../../src/lib/server/rate-limit';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
	let time = start;
	return { now: () => time, advance: (ms) => (time += ms) };
}

describe('rate limiter', () => {
	it('allows the configured number of attempts per window, then refuses with a retry time', () => {
		const clock = fakeClock();
		const limiter = createRateLimiter({ maxAttempts: 3, windowMs: 60_000, now: clock.now });
		expect(limiter.consume('k')).toEqual({ allowed: true, remaining: 2 });
		expect(limiter.consume('k')).toEqual({ allowed: true, remaining: 1 });
		expect(limiter.consume('k')).toEqual({ allowed: true, remaining: 0 });
		clock.advance(15_500);
		expect(limiter.consume('k')).toEqual({ allowed: false, retryAfterSeconds: 45 });
	});

	it('allows attempts again once the window has passed', () => {
		const clock = fakeClock();
		const limiter = createRateLimiter({ maxAttempts: 1, windowMs: 10_000, now: clock.now });
		expect(limiter.consume('k').allowed).toBe(true);
		clock.advance(9_999);
		expect(limiter.consume('k').allowed).toBe(false);
		clock.advance(1);
		expect(limiter.consume('k').allowed).toBe(true);
	});

	it('counts each key on its own', () => {
		const clock = fakeClock();
		const limiter = createRateLimiter({ maxAttempts: 1, windowMs: 10_000, now: clock.now });
		expect(limiter.consume('a').allowed).toBe(true);
		expect(limiter.consume('b').allowed).toBe(true);
		expect(limiter.consume('a').allowed).toBe(false);
	});

	it('forgets a key when reset, as after a successful login', () => {
		const clock = fakeClock();
		const limiter = createRateLimiter({ maxAttempts: 1, windowMs: 10_000, now: clock.now });
		limiter.consume('k');
		limiter.reset('k');
		expect(limiter.consume('k').allowed).toBe(true);
	});

	it('sweeps expired windows so memory stays bounded', () => {
		const clock = fakeClock();
		const limiter = createRateLimiter({
			maxAttempts: 1,
			windowMs: 1_000,
			now: clock.now,
			sweepAt: 3
		});
		limiter.consume('a');
		limiter.consume('b');
		limiter.consume('c');
		clock.advance(1_000);
		limiter.consume('d');
		expect(limiter.size()).toBe(1);
	});

	it('gives back one attempt on refund, as for a login that succeeded', () => {
		const clock = fakeClock();
		const limiter = createRateLimiter({ maxAttempts: 2, windowMs: 10_000, now: clock.now });
		limiter.consume('k');
		limiter.consume('k');
		limiter.refund('k');
		expect(limiter.consume('k')).toEqual({ allowed: true, remaining: 0 });
		expect(limiter.consume('k').allowed).toBe(false);
		limiter.refund('unknown');
		expect(limiter.size()).toBe(1);
	});

	it('keys logins by lowercased username, in one bucket per known device or address and one for strangers', () => {
		const stranger = { kind: 'stranger' } as const;
		const address = { kind: 'address' } as const;
		const device = { kind: 'device', deviceId: 'abc' } as const;
		expect(loginKey('Alice', '10.0.0.1', address)).toBe(loginKey('alice', '10.0.0.1', address));
		expect(loginKey('alice', '10.0.0.1', address)).not.toBe(loginKey('alice', '10.0.0.2', address));
		// Strangers share one bucket per account, wherever they are.
		expect(loginKey('alice', '10.0.0.1', stranger)).toBe(loginKey('alice', '10.0.0.2', stranger));
		expect(loginKey('alice', '10.0.0.1', stranger)).not.toBe(loginKey('bob', '10.0.0.1', stranger));
		expect(
			new Set([stranger, address, device].map((o) => loginKey('alice', '10.0.0.1', o))).size
		).toBe(3);
	});
});
