import { messageId } from '../support/messages';
import { describe, expect, it } from 'vitest';
import {
	firstUnreadIndex,
	messageInfo,
	othersReadUpTo,
	parseReadMark,
	reachOf,
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

	it('say read at or before the read reach, delivered at or before the delivered one, else sent or pending', () => {
		const reach = { delivered: 3, read: 2 };
		expect(receiptOf(true, 2, reach)).toBe('read');
		expect(receiptOf(false, 1, reach)).toBe('read');
		expect(receiptOf(true, 3, reach)).toBe('delivered');
		expect(receiptOf(true, 4, reach)).toBe('sent');
		expect(receiptOf(false, 4, reach)).toBe('pending');
	});

	it('follow the group rule: delivered and read once every other member has it', () => {
		const member = (id: string, delivered: string | null) => ({
			id,
			username: id,
			delivered: delivered === null ? null : { upTo: messageId(delivered), ts: 7 }
		});
		const members = [member('alice', null), member('bob', 'm5'), member('carol', 'm3')];
		const marks = new Map([
			['bob', mark(messageId('m4'))],
			['carol', mark(messageId('m2'))]
		]);
		// Delivered up to the lowest of the others (carol, m3); read up to carol's m2.
		expect(reachOf(members, marks, positionOf, 'alice')).toEqual({ delivered: 2, read: 1 });
		// A read counts as delivered: carol read m4 without an acknowledgement from a device.
		const readFurther = new Map([...marks, ['carol', mark(messageId('m4'))]]);
		expect(reachOf(members, readFurther, positionOf, 'alice')).toEqual({ delivered: 3, read: 3 });
		// One member without marks holds everything back; alone in the room nothing is delivered.
		expect(reachOf([...members, member('dave', null)], marks, positionOf, 'alice')).toEqual({
			delivered: -1,
			read: -1
		});
		expect(reachOf([member('alice', null)], marks, positionOf, 'alice')).toEqual({
			delivered: -1,
			read: -1
		});
		// Members unknown: read once anyone else read it.
		expect(reachOf(null, marks, positionOf, 'alice')).toEqual({ delivered: 3, read: 3 });

		expect(messageInfo(2, members, marks, positionOf, 'alice')).toEqual([
			{ id: 'bob', username: 'bob', delivered: 1, read: 1 },
			{ id: 'carol', username: 'carol', delivered: 7, read: null }
		]);
		expect(messageInfo(4, members, marks, positionOf, 'alice')).toEqual([
			{ id: 'bob', username: 'bob', delivered: 7, read: null },
			{ id: 'carol', username: 'carol', delivered: null, read: null }
		]);
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
