import { describe, expect, it } from 'vitest';
import { peersOf, typingLabel } from '../../src/lib/client/presence';

describe('peersOf', () => {
	it('lists each person once, sorted by name, typing when any of their tabs is', () => {
		const states = [
			{ user: { id: 'b', name: 'bob' }, typing: false },
			{ user: { id: 'a', name: 'alice' } },
			{ user: { id: 'b', name: 'bob' }, typing: true }
		];
		expect(peersOf(states)).toEqual([
			{ id: 'a', name: 'alice', typing: false },
			{ id: 'b', name: 'bob', typing: true }
		]);
	});

	it('ignores states without a well-formed user and non-boolean typing', () => {
		const states = [
			null,
			{},
			{ user: 'alice' },
			{ user: { id: 1, name: 'x' } },
			{ user: { id: 'c', name: 'carol' }, typing: 'yes' }
		];
		expect(peersOf(states)).toEqual([{ id: 'c', name: 'carol', typing: false }]);
	});
});

describe('typingLabel', () => {
	it('says nothing when nobody types', () => {
		expect(typingLabel([])).toBeNull();
	});

	it('names one, two, three people, and counts the rest beyond', () => {
		expect(typingLabel(['alice'])).toBe('alice is typing…');
		expect(typingLabel(['alice', 'bob'])).toBe('alice and bob are typing…');
		expect(typingLabel(['alice', 'bob', 'carol'])).toBe('alice, bob and carol are typing…');
		expect(typingLabel(['alice', 'bob', 'carol', 'dave'])).toBe(
			'alice, bob and 2 others are typing…'
		);
	});
});
