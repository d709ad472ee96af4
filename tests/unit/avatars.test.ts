import { describe, expect, it } from 'vitest';
import { avatarColourOf, initialsOf, shownName } from '../../src/lib/client/avatars';

describe('generated avatars', () => {
	it('takes the initials of the first two words, or of a handle’s parts', () => {
		expect(initialsOf('Ada Lovelace King')).toBe('AL');
		expect(initialsOf('bob')).toBe('B');
		expect(initialsOf('carol_smith')).toBe('CS');
		expect(initialsOf('  émile  zola ')).toBe('ÉZ');
		expect(initialsOf('😀 party')).toBe('😀P');
		expect(initialsOf('   ')).toBe('?');
	});

	it('derives the same colour from the same id, and different ones from different ids', () => {
		expect(avatarColourOf('abc')).toBe(avatarColourOf('abc'));
		const colours = new Set(
			['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((id) => avatarColourOf(id))
		);
		expect(colours.size).toBeGreaterThan(3);
		expect(avatarColourOf('alice')).toMatch(/^hsl\(\d{1,3} 55% 28%\)$/);
	});

	it('shows the display name, or the username without one', () => {
		expect(shownName({ username: 'bob', displayName: 'Bob Ross' })).toBe('Bob Ross');
		expect(shownName({ username: 'bob', displayName: '  ' })).toBe('bob');
		expect(shownName({ username: 'bob' })).toBe('bob');
	});
});
