/**
 * What the home page knows without a server: the signed-in user and their room list, saved in
 * localStorage whenever a page has them fresh from the server. A page rendered from a cached
 * copy (service worker) carries the data of the day it was cached; the saved list may be
 * newer, and the newer of the two wins.
 */

export interface SavedRoom {
	readonly id: string;
	readonly name: string;
	readonly visibility: 'public' | 'private';
	readonly role: 'owner' | 'member';
}

export interface SavedRooms {
	/** When the server produced this list (its load's `loadedAt`), ms since the epoch. */
	readonly loadedAt: number;
	readonly rooms: readonly SavedRoom[];
}

export function roomsKey(userId: string): string {
	return `parley:rooms:${userId}`;
}

function isSavedRoom(value: unknown): value is SavedRoom {
	if (typeof value !== 'object' || value === null) return false;
	const { id, name, visibility, role } = value as Record<string, unknown>;
	return (
		typeof id === 'string' &&
		typeof name === 'string' &&
		(visibility === 'public' || visibility === 'private') &&
		(role === 'owner' || role === 'member')
	);
}

/** Reads what `serializeSavedRooms` wrote; anything unreadable counts as nothing saved. */
export function parseSavedRooms(raw: string | null): SavedRooms | null {
	if (raw === null) return null;
	try {
		const data: unknown = JSON.parse(raw);
		if (typeof data !== 'object' || data === null) return null;
		const { loadedAt, rooms } = data as { loadedAt?: unknown; rooms?: unknown };
		if (typeof loadedAt !== 'number' || !Array.isArray(rooms)) return null;
		return { loadedAt, rooms: rooms.filter(isSavedRoom) };
	} catch {
		return null;
	}
}

export function serializeSavedRooms(saved: SavedRooms): string {
	const rooms = saved.rooms.map(({ id, name, visibility, role }) => ({
		id,
		name,
		visibility,
		role
	}));
	return JSON.stringify({ loadedAt: saved.loadedAt, rooms });
}

/** The newer of the page's list and the saved one (the page's on a tie). */
export function newerRooms(page: SavedRooms, saved: SavedRooms | null): SavedRooms {
	return saved !== null && saved.loadedAt > page.loadedAt ? saved : page;
}

/** Saves the page's list unless a newer one is saved already; returns the one to show. */
export function rememberRooms(userId: string, page: SavedRooms): SavedRooms {
	const key = roomsKey(userId);
	const current = newerRooms(page, parseSavedRooms(localStorage.getItem(key)));
	if (current === page) localStorage.setItem(key, serializeSavedRooms(page));
	return current;
}

export interface SavedUser {
	readonly id: string;
	readonly username: string;
}

const USER_KEY = 'parley:user';

export function rememberUser(user: SavedUser): void {
	localStorage.setItem(USER_KEY, JSON.stringify({ id: user.id, username: user.username }));
}

export function forgetUser(): void {
	localStorage.removeItem(USER_KEY);
}

export function readSavedUser(): SavedUser | null {
	try {
		const data: unknown = JSON.parse(localStorage.getItem(USER_KEY) ?? 'null');
		if (typeof data !== 'object' || data === null) return null;
		const { id, username } = data as Record<string, unknown>;
		return typeof id === 'string' && typeof username === 'string' ? { id, username } : null;
	} catch {
		return null;
	}
}
