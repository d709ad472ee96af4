import { describe, expect, it } from 'vitest';
import { totalsOf } from '../../src/lib/client/summaries.svelte';
import type { NotificationLevel, RoomSummary } from '../../src/lib/protocol/summaries';

function room(id: string, unread: number, mentions: number, level: NotificationLevel | null) {
	const summary: RoomSummary = {
		id,
		name: id,
		kind: 'room',
		topic: '',
		archived: false,
		encrypted: false,
		others: [],
		lastSeq: 1,
		last: null,
		unread,
		mentions,
		level
	};
	return summary;
}

describe('totalsOf', () => {
	it('counts by each room’s level: all, mentions only, nothing; else the default', () => {
		const rooms = [
			room('a', 5, 1, 'all'),
			room('m', 4, 2, 'mentions'),
			room('n', 9, 3, 'nothing'),
			room('d', 2, 0, null)
		];
		expect(totalsOf(rooms, 'all', null)).toEqual({ unread: 5 + 2 + 2, mentions: 1 + 2 });
		expect(totalsOf(rooms, 'nothing', null)).toEqual({ unread: 5 + 2, mentions: 1 + 2 });
		expect(totalsOf(rooms, 'mentions', null)).toEqual({ unread: 5 + 2, mentions: 1 + 2 });
	});

	it('counts the open room by what its replica shows', () => {
		const rooms = [room('a', 5, 3, null), room('b', 1, 0, null)];
		expect(totalsOf(rooms, 'all', { id: 'a', unread: 1 })).toEqual({ unread: 2, mentions: 1 });
		expect(totalsOf(rooms, 'all', { id: 'a', unread: 0 })).toEqual({ unread: 1, mentions: 0 });
	});
});
