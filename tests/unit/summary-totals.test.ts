import { describe, expect, it } from 'vitest';
import {
	newerSummaries,
	summaryViewOf,
	totalsOf,
	withOpenRoom
} from '../../src/lib/client/summaries.svelte';
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

describe('newerSummaries', () => {
	it('keeps each room’s summary with the larger lastSeq, the saved one on a tie, and every room of either', () => {
		const atSeq = (summary: RoomSummary, lastSeq: number): RoomSummary => ({ ...summary, lastSeq });
		const fromPage = [
			atSeq(room('a', 3, 0, null), 7),
			atSeq(room('b', 0, 0, null), 9),
			room('p', 1, 0, null)
		];
		const saved = [
			atSeq(room('a', 0, 0, null), 8),
			atSeq(room('b', 5, 0, null), 4),
			room('s', 2, 0, null)
		];
		const merged = new Map(newerSummaries(fromPage, saved).map((summary) => [summary.id, summary]));
		expect([...merged.keys()].sort()).toEqual(['a', 'b', 'p', 's']);
		expect(merged.get('a')).toMatchObject({ lastSeq: 8, unread: 0 });
		expect(merged.get('b')).toMatchObject({ lastSeq: 9, unread: 0 });
		const tie = newerSummaries([room('a', 4, 0, null)], [room('a', 1, 0, null)]);
		expect(tie).toEqual([room('a', 1, 0, null)]);
	});
});

describe('withOpenRoom', () => {
	const last = (id: string, ts: number) => ({
		id,
		author: 'bob',
		authorName: 'Bob',
		text: `text of ${id}`,
		ts,
		deleted: false
	});
	const known = { ...room('r', 2, 1, null), last: last('m1', 100) };

	it('takes the replica’s unread count, and its last message when it is newer', () => {
		const shown = withOpenRoom(known, { id: 'r', unread: 3, last: last('m2', 200) });
		expect(shown).toMatchObject({ unread: 3, mentions: 1, lastSeq: 1, last: { id: 'm2' } });
		// Read to the end: no mentions left either.
		expect(withOpenRoom(known, { id: 'r', unread: 0, last: last('m2', 200) })).toMatchObject({
			unread: 0,
			mentions: 0
		});
	});

	it('keeps the summary’s last message when the replica’s is older, and the same object when nothing differs', () => {
		expect(withOpenRoom(known, { id: 'r', unread: 2, last: last('m0', 50) })).toBe(known);
		expect(withOpenRoom(known, { id: 'r', unread: 2, last: null })).toBe(known);
		expect(withOpenRoom(known, { id: 'r', unread: 2, last: last('m1', 100) })).toBe(known);
		expect(withOpenRoom(known, { id: 'r', unread: 0, last: last('m0', 50) }).last?.id).toBe('m1');
	});
});

describe('summaryViewOf', () => {
	it('shows the page’s list as the store would: by activity, muted rooms, totals', () => {
		const quiet = { ...room('q', 4, 0, 'nothing'), last: null };
		const busy: RoomSummary = {
			...room('b', 2, 1, null),
			last: { id: 'm1', author: 'u', authorName: null, text: 'hi', ts: 50, deleted: false }
		};
		const view = summaryViewOf({ rooms: [quiet, busy], defaultLevel: 'all' });
		expect(view.sorted.map((summary) => summary.id)).toEqual(['b', 'q']);
		expect([...view.muted]).toEqual(['q']);
		expect(view.totals).toEqual({ unread: 2, mentions: 1 });
	});
});
