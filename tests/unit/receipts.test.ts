import { messageId } from '../support/messages';
import { describe, expect, it } from 'vitest';
import {
	firstUnreadIndex,
	othersReadUpTo,
	parseReadMark,
	receiptOf,
	unreadCount,
	type ReadMark
} from '../../src/lib/client/receipts';

const log = [
	{ id: messageId('m1'), author: 'alice' },
	{ id: messageId('m2'), author: 'bob' },
	{ id: messageId('m3'), author: 'alice' },
	{ id: messageId('m4'), author: 'bob' },
	{ id: messageId('m5'), author: 'bob' }
];
const positionOf = new Map(log.map((m, i) => [m.id, i]));
const mark = (upTo: string): ReadMark => ({ upTo, ts: 1 });

describe('read receipts', () => {
	it('take the furthest mark of the other members and ignore the reader’s own', () => {
		const marks: Array<[string, ReadMark]> = [
			['alice', mark(messageId('m5'))],
			['bob', mark(messageId('m2'))],
			['carol', mark(messageId('m3'))]
		];
		expect(othersReadUpTo(marks, positionOf, 'alice')).toBe(2);
		expect(othersReadUpTo([['alice', mark(messageId('m5'))]], positionOf, 'alice')).toBe(-1);
	});

	it('treat a mark on a message not in this replica as nothing read', () => {
		expect(othersReadUpTo([['bob', mark('unknown')]], positionOf, 'alice')).toBe(-1);
	});

	it('say read for a message at or before the mark, else sent or pending', () => {
		expect(receiptOf(true, 2, 2)).toBe('read');
		expect(receiptOf(false, 1, 2)).toBe('read');
		expect(receiptOf(true, 3, 2)).toBe('sent');
		expect(receiptOf(false, 3, 2)).toBe('pending');
	});

	it('parse only { upTo: string, ts: number }', () => {
		expect(parseReadMark({ upTo: messageId('m1'), ts: 5 })).toEqual({
			upTo: messageId('m1'),
			ts: 5
		});
		expect(parseReadMark({ upTo: 1, ts: 5 })).toBeNull();
		expect(parseReadMark(messageId('m1'))).toBeNull();
		expect(parseReadMark(null)).toBeNull();
	});
});

describe('unread messages', () => {
	it('are the others’ messages after the reader’s mark', () => {
		expect(unreadCount(log, messageId('m2'), 'alice')).toBe(2);
		expect(firstUnreadIndex(log, messageId('m2'), 'alice')).toBe(3);
		expect(unreadCount(log, messageId('m5'), 'alice')).toBe(0);
		expect(firstUnreadIndex(log, messageId('m5'), 'alice')).toBe(-1);
	});

	it('are all the others’ messages when the reader never marked any', () => {
		expect(unreadCount(log, null, 'alice')).toBe(3);
		expect(firstUnreadIndex(log, null, 'alice')).toBe(1);
	});

	it('are none when the mark points at a message this replica does not have yet', () => {
		expect(unreadCount(log, 'later', 'alice')).toBe(0);
		expect(firstUnreadIndex(log, 'later', 'alice')).toBe(-1);
	});

	it('are all the others’ messages when the mark is in sealed history above them', () => {
		expect(unreadCount(log, 'sealed', 'alice', true)).toBe(3);
		expect(firstUnreadIndex(log, 'sealed', 'alice', true)).toBe(1);
		// A mark the messages hold counts as before.
		expect(unreadCount(log, messageId('m2'), 'alice', true)).toBe(2);
	});
});
