import { describe, expect, it } from 'vitest';
import { notificationFor, shouldNotify, titleWithUnread } from '../../src/lib/client/notifications';
import {
	dmOthersOf,
	dmPartnerOf,
	dmTitleOf,
	dmTitleOfRoom,
	joinNames
} from '../../src/lib/client/dm';
import { parseSummaryFrame } from '../../src/lib/protocol/summaries';

const base = {
	hidden: true,
	level: 'all' as const,
	mentioned: false,
	own: false,
	permitted: true
};

describe('shouldNotify', () => {
	it("notifies about someone else's message in a hidden tab", () => {
		expect(shouldNotify(base)).toBe(true);
	});

	it('stays quiet while the tab is visible, for own messages and without permission', () => {
		expect(shouldNotify({ ...base, hidden: false })).toBe(false);
		expect(shouldNotify({ ...base, hidden: false, mentioned: true })).toBe(false);
		expect(shouldNotify({ ...base, own: true })).toBe(false);
		expect(shouldNotify({ ...base, own: true, mentioned: true })).toBe(false);
		expect(shouldNotify({ ...base, permitted: false, mentioned: true })).toBe(false);
	});

	it('follows the level: mentions only, or nothing even for a mention', () => {
		expect(shouldNotify({ ...base, level: 'mentions' })).toBe(false);
		expect(shouldNotify({ ...base, level: 'mentions', mentioned: true })).toBe(true);
		expect(shouldNotify({ ...base, level: 'nothing' })).toBe(false);
		expect(shouldNotify({ ...base, level: 'nothing', mentioned: true })).toBe(false);
	});
});

describe('titleWithUnread', () => {
	it('puts the unread count in front of the title', () => {
		expect(titleWithUnread('General · Parley', 3)).toBe('(3) General · Parley');
		expect(titleWithUnread('General · Parley', 0)).toBe('General · Parley');
	});
});

describe('dmPartnerOf', () => {
	it('names the other person of a direct message', () => {
		expect(dmPartnerOf('alice & bob', 'alice')).toBe('bob');
		expect(dmPartnerOf('alice & bob', 'bob')).toBe('alice');
	});

	it('is null for rooms that are not a DM with me', () => {
		expect(dmPartnerOf('Salt & Pepper', 'alice')).toBeNull();
		expect(dmPartnerOf('General', 'alice')).toBeNull();
		expect(dmPartnerOf('a & b & c', 'a')).toBeNull();
		expect(dmPartnerOf('alice, bob & carol', 'alice')).toBeNull();
	});
});

describe('group dm names', () => {
	it('names a DM after the other people, for any of them', () => {
		expect(dmOthersOf('alice, bob & carol', 'bob')).toEqual(['alice', 'carol']);
		expect(dmTitleOf('alice, bob & carol', 'carol')).toBe('alice and bob');
		expect(dmTitleOf('a, b, c & d', 'a')).toBe('b, c and d');
		expect(dmTitleOf('alice & bob', 'alice')).toBe('bob');
		expect(joinNames(['x'])).toBe('x');
	});

	it('is null for rooms that are not a DM with me', () => {
		expect(dmTitleOf('alice, bob & carol', 'dave')).toBeNull();
		expect(dmTitleOf('Salt and Pepper, Oil & Vinegar', 'Oil')).toBeNull();
		expect(dmTitleOf('a, & b', 'a')).toBeNull();
		expect(dmTitleOf('a, a & b', 'a')).toBeNull();
		expect(dmTitleOf('General', 'alice')).toBeNull();
	});

	it('titles a DM after the others’ display names from its summary, else from its stored name', () => {
		const others = [
			{ id: 'b', username: 'bob', displayName: 'Bobby' },
			{ id: 'c', username: 'carol', displayName: '' }
		];
		expect(dmTitleOfRoom({ name: 'alice, bob & carol', others }, 'alice')).toBe('Bobby and carol');
		// A summary cached before `others` existed parses with [] and falls back to the name.
		const old = parseSummaryFrame(
			JSON.stringify({
				type: 'room',
				room: {
					id: 'dm1',
					name: 'alice & bob',
					kind: 'dm',
					lastSeq: 1,
					last: null,
					unread: 0,
					mentions: 0
				}
			})
		);
		expect(old?.type === 'room' && old.room.others).toEqual([]);
		if (old?.type !== 'room') throw new Error('not parsed');
		expect(dmTitleOfRoom(old.room, 'alice')).toBe('bob');
	});
});

describe('notificationFor', () => {
	const names: Record<string, string> = { u1: 'alice', u2: 'bob' };
	const context = {
		hidden: true,
		level: 'all' as const,
		permitted: true,
		selfId: 'u2',
		selfName: 'bob',
		roomName: 'General',
		nameOf: (id: string) => names[id] ?? id
	};

	it("names the author and room and quotes the text of someone else's message", () => {
		expect(notificationFor({ author: 'u1', text: 'hello', deleted: false }, context)).toEqual({
			title: 'alice in General',
			body: 'hello'
		});
	});

	it('raises none for a placeholder of a value that cannot be shown', () => {
		const placeholder = { author: '', text: '', deleted: false, unreadable: true };
		expect(notificationFor(placeholder, context)).toBeNull();
	});

	it('a mention gets through a "mentions only" room and says so', () => {
		const muted = { ...context, level: 'mentions' as const };
		expect(notificationFor({ author: 'u1', text: 'hello', deleted: false }, muted)).toBeNull();
		expect(notificationFor({ author: 'u1', text: 'ping @Bob', deleted: false }, muted)).toEqual({
			title: 'alice mentioned you in General',
			body: 'ping @Bob'
		});
	});

	it('raises nothing for own, deleted or visible-tab messages', () => {
		expect(notificationFor({ author: 'u2', text: 'mine', deleted: false }, context)).toBeNull();
		expect(notificationFor({ author: 'u1', text: '', deleted: true }, context)).toBeNull();
		expect(
			notificationFor({ author: 'u1', text: '@bob', deleted: false }, { ...context, hidden: false })
		).toBeNull();
	});
});
