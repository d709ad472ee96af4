import { describe, expect, it } from 'vitest';
import { showTime } from '../../src/lib/client/dates';

describe('showTime', () => {
	it('formats a ts as ISO, hours and minutes, and date and time', () => {
		const shown = showTime(Date.UTC(2026, 0, 2, 3, 4, 5));
		expect(shown.iso).toBe('2026-01-02T03:04:05.000Z');
		expect(shown.time).toMatch(/\d\d.\d\d/);
		expect(shown.full.length).toBeGreaterThan(0);
	});

	it('reads like the Date methods it replaces', () => {
		for (const ts of [0, Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(1999, 11, 31, 23, 59, 59)]) {
			const date = new Date(ts);
			expect(showTime(ts)).toEqual({
				iso: date.toISOString(),
				time: date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
				full: date.toLocaleString()
			});
		}
	});

	it.each([1e300, -1e300, Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1, '2026', null, {}])(
		'shows %s as an unknown time instead of throwing',
		(ts) => {
			expect(showTime(ts)).toEqual({ iso: null, time: '--:--', full: 'unknown time' });
		}
	);
});
