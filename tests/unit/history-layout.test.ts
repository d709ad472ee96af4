import { describe, expect, it } from 'vitest';
import {
	dayLabel,
	groupKeys,
	GROUP_WINDOW_MS,
	layOutHistory
} from '../../src/lib/client/history-layout';

const NOW = new Date(2026, 11, 1, 14, 0).getTime();
const YESTERDAY = new Date(2026, 10, 30, 9, 0).getTime();
const LAST_YEAR = new Date(2025, 5, 3, 9, 0).getTime();

function message(id: string, author: string, ts: unknown, unreadable = false) {
	return { id, author, ts, unreadable };
}

describe('dayLabel', () => {
	it('names today and yesterday, and dates before that', () => {
		expect(dayLabel(NOW - 60_000, NOW)).toBe('Today');
		expect(dayLabel(YESTERDAY, NOW)).toBe('Yesterday');
		const earlier = dayLabel(new Date(2026, 10, 20, 9).getTime(), NOW);
		expect(earlier).not.toMatch(/Today|Yesterday/);
		expect(earlier).toContain('20');
		expect(dayLabel(LAST_YEAR, NOW)).toContain('2025');
	});

	it('shows an unknown date for a ts that is no time, without throwing', () => {
		for (const ts of ['x', NaN, 1e300, undefined]) expect(dayLabel(ts, NOW)).toBe('Unknown date');
	});
});

describe('layOutHistory', () => {
	it('starts a group with its day at each new day', () => {
		const groups = layOutHistory(
			[message('a', 'u1', LAST_YEAR), message('b', 'u1', YESTERDAY), message('c', 'u2', NOW - 10)],
			null,
			NOW
		);
		expect(groups.map((group) => group.day)).toEqual([
			expect.stringContaining('2025'),
			'Yesterday',
			'Today'
		]);
	});

	it('runs consecutive messages by one author within the window together', () => {
		const t = NOW - 60 * 60_000;
		const groups = layOutHistory(
			[
				message('a', 'u1', t),
				message('b', 'u1', t + 60_000),
				message('c', 'u2', t + 120_000),
				message('d', 'u2', t + 120_000 + GROUP_WINDOW_MS + 1),
				message('e', 'u2', t + 120_000 + GROUP_WINDOW_MS + 2, true),
				message('f', 'u2', t + 120_000 + GROUP_WINDOW_MS + 3)
			],
			null,
			NOW
		);
		expect(groups).toHaveLength(1);
		expect(groups[0]?.entries.map((entry) => entry.continued)).toEqual([
			false,
			true,
			false,
			false,
			false,
			false
		]);
	});

	it('starts a new group at the first unread message, which shows its author again', () => {
		const t = NOW - 60_000 * 10;
		const groups = layOutHistory(
			[message('a', 'u1', t), message('b', 'u1', t + 1000), message('c', 'u1', t + 2000)],
			'b',
			NOW
		);
		expect(groups.map((group) => [group.day, group.unread, group.entries.length])).toEqual([
			['Today', false, 1],
			[null, true, 2]
		]);
		expect(groups[1]?.entries.map((entry) => entry.continued)).toEqual([false, true]);
	});

	it('gives messages with unknown times their own day and no run', () => {
		const groups = layOutHistory([message('a', 'u1', 'x'), message('b', 'u1', 'y')], null, NOW);
		expect(groups.map((group) => group.day)).toEqual(['Unknown date']);
		expect(groups[0]?.entries.map((entry) => entry.continued)).toEqual([false, false]);
	});
});

describe('groupKeys', () => {
	it('keeps a day’s key when older messages of that day are put in front, and numbers repeats', () => {
		const at = (hour: number) => new Date(2026, 10, 30, hour).getTime();
		const msg = (id: string, ts: unknown) => ({ id, author: 'a', ts });
		const later = [msg('c', at(12)), msg('d', at(13))];
		const before = groupKeys(layOutHistory(later, null, at(14)));
		const after = groupKeys(layOutHistory([msg('b', at(10)), ...later], null, at(14)));
		expect(after).toEqual(before);
		const odd = groupKeys(
			layOutHistory([msg('x', 'no time'), msg('y', at(9)), msg('z', 'no time')], null, at(14))
		);
		expect(new Set(odd).size).toBe(odd.length);
	});
});
