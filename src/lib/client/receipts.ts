/**
 * Read receipts and unread counts from a room's `reads` map (userId -> { upTo, ts }): a
 * message is read by someone when their `upTo` is that message or one after it in array order,
 * the same order on every replica.
 */

import { READER_LIMITS, parseReadMark as parseReadValue, type ReadMark } from '../protocol/schema';

export type { ReadMark } from '../protocol/schema';

/** What the author sees on their own message. */
export type Receipt = 'pending' | 'sent' | 'read';

interface Listed {
	readonly id: string;
	readonly author: string;
}

/** A `reads` value as the UI may use it, or null (the gate refuses other shapes). */
export function parseReadMark(value: unknown): ReadMark | null {
	const parsed = parseReadValue(value, READER_LIMITS);
	return parsed.ok ? parsed.value : null;
}

/** The highest position any other member has read up to, or -1. */
export function othersReadUpTo(
	marks: Iterable<readonly [string, ReadMark]>,
	positionOf: ReadonlyMap<string, number>,
	selfId: string
): number {
	let highest = -1;
	for (const [userId, mark] of marks) {
		if (userId === selfId) continue;
		highest = Math.max(highest, positionOf.get(mark.upTo) ?? -1);
	}
	return highest;
}

/** Read wins over the delivery mark: whoever read it got it through the server. */
export function receiptOf(stored: boolean, position: number, readUpTo: number): Receipt {
	if (position <= readUpTo) return 'read';
	return stored ? 'sent' : 'pending';
}

/**
 * Messages by others after the reader's mark (all of them when there is no mark).
 * `unknownIsOlder`: a mark not among `messages` names a message before them (sealed history
 * not loaded here), so all of them are after it.
 */
export function unreadCount(
	messages: readonly Listed[],
	upTo: string | null,
	selfId: string,
	unknownIsOlder = false
): number {
	const first = firstUnreadIndex(messages, upTo, selfId, unknownIsOlder);
	if (first === -1) return 0;
	return messages.slice(first).filter((m) => m.author !== selfId).length;
}

/** Position of the first message by someone else after the reader's mark, or -1. */
export function firstUnreadIndex(
	messages: readonly Listed[],
	upTo: string | null,
	selfId: string,
	unknownIsOlder = false
): number {
	const from = upTo === null ? 0 : messages.findIndex((m) => m.id === upTo) + 1;
	// An unknown mark (not synced here yet) says nothing: count nothing rather than everything.
	// Unless the messages start after sealed history the mark may be in.
	if (upTo !== null && from === 0 && !unknownIsOlder) return -1;
	for (let i = from; i < messages.length; i++) {
		if (messages[i]?.author !== selfId) return i;
	}
	return -1;
}

/** Message id -> position in the array, for comparing marks by array order. */
export function positionsOf(messages: readonly { readonly id: string }[]): Map<string, number> {
	return new Map(messages.map((message, index) => [message.id, index]));
}
