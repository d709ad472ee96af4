import { describe, expect, it } from 'vitest';
import {
	newerRooms,
	parseSavedRooms,
	serializeSavedRooms,
	type SavedRooms
} from '../../src/lib/client/offline-data';

const room = { id: 'r1', name: 'General', visibility: 'private', role: 'owner' } as const;

describe('the saved room list', () => {
	it('reads back what was saved, without extra fields', () => {
		const saved: SavedRooms = { loadedAt: 10, rooms: [{ ...room, kind: 'room' } as typeof room] };
		expect(parseSavedRooms(serializeSavedRooms(saved))).toEqual({ loadedAt: 10, rooms: [room] });
	});

	it('counts anything unreadable as nothing saved and drops malformed rooms', () => {
		expect(parseSavedRooms(null)).toBeNull();
		expect(parseSavedRooms('{')).toBeNull();
		expect(parseSavedRooms('{"rooms":[]}')).toBeNull();
		const mixed = JSON.stringify({ loadedAt: 1, rooms: [room, { id: 'r2' }] });
		expect(parseSavedRooms(mixed)?.rooms).toEqual([room]);
	});

	it('prefers the newer list, and the page’s on a tie', () => {
		const page: SavedRooms = { loadedAt: 5, rooms: [] };
		const older: SavedRooms = { loadedAt: 4, rooms: [room] };
		const newer: SavedRooms = { loadedAt: 6, rooms: [room] };
		expect(newerRooms(page, older)).toBe(page);
		expect(newerRooms(page, newer)).toBe(newer);
		expect(newerRooms(page, { loadedAt: 5, rooms: [room] })).toBe(page);
		expect(newerRooms(page, null)).toBe(page);
	});
});
