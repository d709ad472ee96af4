/**
 * Avatars (docs/design.md "Profiles"): where an uploaded picture is served, and the generated
 * one: a person's initials on a colour derived from their user id, so the same person has the
 * same colour on every screen. Pure.
 */
export { avatarUrl } from '../avatar-images';

/** Up to two initials of a name: the first letters of its first two words, upper-cased. */
export function initialsOf(name: string): string {
	const words = name
		.trim()
		.split(/[\s._-]+/u)
		.filter((word) => word.length > 0);
	const letters = words
		.slice(0, 2)
		.map((word) => Array.from(word)[0] ?? '')
		.join('');
	return letters.toLocaleUpperCase() || '?';
}

/**
 * The avatar's background for a user id: a hue from the id's FNV-1a hash at saturation 55% and
 * lightness 28%, where white initials keep a contrast of at least 5.3:1 at every hue.
 */
export function avatarColourOf(userId: string): string {
	let hash = 0x811c9dc5;
	for (let i = 0; i < userId.length; i++) {
		hash ^= userId.charCodeAt(i);
		hash = Math.imul(hash, 0x01000193);
	}
	return `hsl(${(hash >>> 0) % 360} 55% 28%)`;
}

/** What a person is called on screen: their display name, or the username without one. */
export function shownName(person: {
	readonly username: string;
	readonly displayName?: string;
}): string {
	return person.displayName?.trim() || person.username;
}
