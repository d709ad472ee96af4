import { describe, expect, it } from 'vitest';
import { MAX_AVATAR_BYTES } from '../../src/lib/avatar-images';
import { avatarColourOf, avatarUrl, initialsOf, shownName } from '../../src/lib/client/avatars';
import { avatarVersionOf } from '../../src/lib/server/avatars';
import { bodyLimitFor, isUploadRoute } from '../../src/lib/server/body';

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

describe('uploaded pictures', () => {
	it('are served at a URL naming the user and the version, both encoded', () => {
		expect(avatarUrl('u1', '0123456789abcdef')).toBe('/api/users/u1/avatar?v=0123456789abcdef');
		expect(avatarUrl('a/b?c', 'x&y')).toBe('/api/users/a%2Fb%3Fc/avatar?v=x%26y');
	});

	it('take their version from the start of the bytes’ hash', () => {
		const sha = 'f'.repeat(8) + '0'.repeat(56);
		expect(avatarVersionOf(sha)).toBe('ffffffff00000000');
		expect(avatarVersionOf('a'.repeat(64))).not.toBe(avatarVersionOf('b'.repeat(64)));
	});

	it('let only the picture route stream up to 1 MiB; other routes keep 16 KiB', () => {
		expect(isUploadRoute('PUT', '/api/me/avatar')).toBe(true);
		expect(bodyLimitFor('PUT', '/api/me/avatar', 25 * MAX_AVATAR_BYTES)).toBe(MAX_AVATAR_BYTES);
		expect(isUploadRoute('POST', '/api/me/avatar')).toBe(false);
		expect(bodyLimitFor('PATCH', '/api/me', 25 * MAX_AVATAR_BYTES)).toBe(16 * 1024);
		expect(bodyLimitFor('POST', '/api/files', 25 * MAX_AVATAR_BYTES)).toBe(25 * MAX_AVATAR_BYTES);
	});
});
