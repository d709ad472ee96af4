/**
 * Receipts and unread counts from a room's `reads` map (userId -> { upTo, ts }) and the server's
 * delivery marks (docs/design.md "Delivered and read"): a message is read (delivered) by someone
 * when their `upTo` is that message or one after it in array order, the same order on every
 * replica. The group rule: Delivered once every other member has it on a device, Read once every
 * other member has read it.
 */

import { READER_LIMITS, parseReadMark as parseReadValue, type ReadMark } from '../protocol/schema';

export type { ReadMark } from '../protocol/schema';

/** What the author sees on their own message. */
export type Receipt = 'pending' | 'sent' | 'delivered' | 'read';

/** A member as the receipts API lists them: how far their devices have received the room. */
export interface Recipient {
	readonly id: string;
	readonly username: string;
	readonly delivered: { readonly upTo: string; readonly ts: number } | null;
}

/** The positions up to which every other member has the room delivered and read, or -1. */
export interface Reach {
	readonly delivered: number;
	readonly read: number;
}

/**
 * The group rule over the room's members (`recipients`, the viewer among them or not): the
 * lowest position any other member has delivered (a read counts as delivered) and read. With
 * nobody else in the room nothing is delivered. Members unknown yet (null: not fetched, e.g.
 * offline on a first visit): read once any other member read it, delivered unknown.
 */
export function reachOf(
	recipients: readonly Recipient[] | null,
	marks: ReadonlyMap<string, ReadMark>,
	positionOf: ReadonlyMap<string, number>,
	selfId: string
): Reach {
	if (recipients === null) {
		const read = othersReadUpTo(marks, positionOf, selfId);
		return { delivered: read, read };
	}
	let delivered = Infinity;
	let read = Infinity;
	for (const member of recipients) {
		if (member.id === selfId) continue;
		const readAt = at(positionOf, marks.get(member.id)?.upTo);
		read = Math.min(read, readAt);
		delivered = Math.min(delivered, Math.max(readAt, at(positionOf, member.delivered?.upTo)));
	}
	return read === Infinity ? { delivered: -1, read: -1 } : { delivered, read };
}

function at(positionOf: ReadonlyMap<string, number>, id: string | undefined): number {
	return id === undefined ? -1 : (positionOf.get(id) ?? -1);
}

/** One other member in a message's "Message info": when it reached them and when they read it. */
export interface InfoRow {
	readonly id: string;
	readonly username: string;
	/** The time of the mark that covers the message (a read one when that came first), or null. */
	readonly delivered: number | null;
	readonly read: number | null;
}

/**
 * "Message info" for the message at `position`: every other member with the times of their
 * marks that cover it. A mark is a high-water mark, so its time is when it last moved: the
 * message reached them at that time at the latest.
 */
export function messageInfo(
	position: number,
	recipients: readonly Recipient[],
	marks: ReadonlyMap<string, ReadMark>,
	positionOf: ReadonlyMap<string, number>,
	selfId: string
): InfoRow[] {
	return recipients
		.filter((member) => member.id !== selfId)
		.map((member) => {
			const mark = marks.get(member.id);
			const read = mark && at(positionOf, mark.upTo) >= position ? mark.ts : null;
			const got = member.delivered;
			const delivered = got && at(positionOf, got.upTo) >= position ? got.ts : null;
			const earliest = [delivered, read].filter((ts): ts is number => ts !== null);
			return {
				id: member.id,
				username: member.username,
				delivered: earliest.length === 0 ? null : Math.min(...earliest),
				read
			};
		});
}

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

/** Read wins over delivered, and both over the stored mark: it reached them through the server. */
export function receiptOf(stored: boolean, position: number, reach: Reach): Receipt {
	if (position <= reach.read) return 'read';
	if (position <= reach.delivered) return 'delivered';
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
