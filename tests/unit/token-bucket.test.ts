import { describe, expect, it } from 'vitest';
import { TokenBucket, createUpdateAdmission } from '../../sync-server/token-bucket';

function clock(): { now: () => number; advance: (ms: number) => void } {
	let t = 1_000;
	return { now: () => t, advance: (ms) => void (t += ms) };
}

function takeAll(take: () => boolean, limit = 1_000): number {
	let taken = 0;
	while (taken < limit && take()) taken++;
	return taken;
}

describe('TokenBucket', () => {
	it('allows a full burst at once, then refuses', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 20, burst: 60, nowMs: time.now });
		expect(takeAll(() => bucket.tryTake())).toBe(60);
		expect(bucket.tryTake()).toBe(false);
	});

	it('refills at the configured rate', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 20, burst: 60, nowMs: time.now });
		takeAll(() => bucket.tryTake());
		time.advance(49);
		expect(bucket.tryTake()).toBe(false);
		time.advance(1);
		expect(bucket.tryTake()).toBe(true);
		time.advance(1_000);
		expect(takeAll(() => bucket.tryTake())).toBe(20);
	});

	it('never holds more than the burst however long it rests', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 5, burst: 3, nowMs: time.now });
		time.advance(3_600_000);
		expect(takeAll(() => bucket.tryTake())).toBe(3);
	});

	it('sustains exactly the rate over a long run', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 10, burst: 1, nowMs: time.now });
		let taken = 0;
		for (let ms = 0; ms < 10_000; ms++) {
			if (bucket.tryTake()) taken++;
			time.advance(1);
		}
		expect(taken).toBeGreaterThanOrEqual(100);
		expect(taken).toBeLessThanOrEqual(101);
	});

	it('takes nothing when asked for more than it has', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 1, burst: 5, nowMs: time.now });
		expect(bucket.tryTake(6)).toBe(false);
		expect(bucket.tokens).toBe(5);
	});

	it('mints no tokens when the clock steps back', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, nowMs: time.now });
		takeAll(() => bucket.tryTake());
		time.advance(-5_000);
		time.advance(5_000);
		expect(bucket.tryTake()).toBe(false);
	});

	it('rejects a rate or burst that could never admit anything', () => {
		expect(() => new TokenBucket({ ratePerSecond: 0, burst: 5 })).toThrow(RangeError);
		expect(() => new TokenBucket({ ratePerSecond: 5, burst: 0 })).toThrow(RangeError);
	});
});

describe('createUpdateAdmission', () => {
	it('gives every connection its own bucket', () => {
		const time = clock();
		const admission = createUpdateAdmission({ ratePerSecond: 1, burst: 2, nowMs: time.now });
		const first = admission();
		const second = admission();
		expect(takeAll(first)).toBe(2);
		expect(takeAll(second)).toBe(2);
	});
});

describe('TokenBucket debts', () => {
	it('charges past zero and says how long the refill takes to pay the debt back', () => {
		const time = clock();
		const bucket = new TokenBucket({ ratePerSecond: 1_000, burst: 500, nowMs: time.now });
		bucket.charge(2_000);
		expect(bucket.tokens).toBe(-1_500);
		expect(bucket.msUntil(0)).toBe(1_500);
		expect(bucket.tryTake()).toBe(false);
		time.advance(1_500);
		expect(bucket.msUntil(0)).toBe(0);
		time.advance(10_000);
		expect(bucket.tokens).toBe(500);
	});
});
