/**
 * Presence and typing from awareness states. The server rebuilds every state it relays as
 * `{ user: { id, name }, typing? }` from the session (sync-server/awareness-gate.ts), so a
 * state names its real user; one person may have several (tabs, devices).
 */

export interface Peer {
	readonly id: string;
	readonly name: string;
	readonly typing: boolean;
}

/** Stop showing "typing" this long after the last keystroke, in ms. */
export const TYPING_IDLE_MS = 3_000;

function userOf(state: unknown): { id: string; name: string; typing: boolean } | null {
	if (typeof state !== 'object' || state === null) return null;
	const { user, typing } = state as { user?: unknown; typing?: unknown };
	if (typeof user !== 'object' || user === null) return null;
	const { id, name } = user as { id?: unknown; name?: unknown };
	if (typeof id !== 'string' || typeof name !== 'string') return null;
	return { id, name, typing: typing === true };
}

/** One entry per person, sorted by name; typing when any of their tabs is. */
export function peersOf(states: Iterable<unknown>): Peer[] {
	const byId = new Map<string, Peer>();
	for (const state of states) {
		const user = userOf(state);
		if (!user) continue;
		const known = byId.get(user.id);
		byId.set(user.id, {
			id: user.id,
			name: known?.name ?? user.name,
			typing: (known?.typing ?? false) || user.typing
		});
	}
	return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

/** "alice is typing…", "alice and bob are typing…", "alice, bob and 2 others are typing…". */
export function typingLabel(names: readonly string[]): string | null {
	const [first, second, third] = names;
	if (first === undefined) return null;
	if (second === undefined) return `${first} is typing…`;
	if (third === undefined) return `${first} and ${second} are typing…`;
	if (names.length === 3) return `${first}, ${second} and ${third} are typing…`;
	return `${first}, ${second} and ${names.length - 2} others are typing…`;
}
