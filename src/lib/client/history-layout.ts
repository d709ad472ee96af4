/**
 * How a run of messages reads: split into groups at each new day ("Today", "Yesterday", a date)
 * and at the "New messages" divider, and consecutive messages by one author within a few
 * minutes shown as one run (the later ones without name and time). Pure: messages and the
 * current time in, groups out. A ts no Date can hold falls in an "Unknown date" group.
 */

/** A message by the same author within this long after the previous one continues its run. */
export const GROUP_WINDOW_MS = 5 * 60_000;

export interface LaidOutMessage {
	readonly id: string;
	readonly author: string;
	readonly ts: unknown;
	readonly unreadable?: boolean;
}

export interface HistoryGroup<M> {
	/** Set when this group starts a new day: "Today", "Yesterday" or a date. */
	readonly day: string | null;
	/** True for the group that starts at the first unread message. */
	readonly unread: boolean;
	readonly entries: readonly { readonly message: M; readonly continued: boolean }[];
}

const UNKNOWN_DAY = 'Unknown date';

function dateOf(ts: unknown): Date | null {
	if (typeof ts !== 'number') return null;
	const date = new Date(ts);
	return Number.isNaN(date.getTime()) ? null : date;
}

/** The local calendar day of `ts` (e.g. "2026-11-30"), or null for a ts that is no time. */
export function dayKey(ts: unknown): string | null {
	const date = dateOf(ts);
	if (!date) return null;
	return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

/** "Today", "Yesterday", a weekday and date this year, or a full date in an earlier year. */
export function dayLabel(ts: unknown, now: number): string {
	const date = dateOf(ts);
	if (!date) return UNKNOWN_DAY;
	const today = new Date(now);
	const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
	const key = dayKey(ts);
	if (key === dayKey(now)) return 'Today';
	if (key === dayKey(yesterday.getTime())) return 'Yesterday';
	try {
		return date.toLocaleDateString([], {
			weekday: 'long',
			day: 'numeric',
			month: 'long',
			...(date.getFullYear() === today.getFullYear() ? {} : { year: 'numeric' })
		});
	} catch {
		return UNKNOWN_DAY;
	}
}

function continues(previous: LaidOutMessage | undefined, message: LaidOutMessage): boolean {
	if (!previous || previous.unreadable || message.unreadable) return false;
	if (previous.author !== message.author) return false;
	const gap =
		typeof message.ts === 'number' && typeof previous.ts === 'number'
			? message.ts - previous.ts
			: NaN;
	return gap >= 0 && gap <= GROUP_WINDOW_MS;
}

/** `messages` (oldest first) in groups; the first group always names its day. */
export function layOutHistory<M extends LaidOutMessage>(
	messages: readonly M[],
	firstUnreadId: string | null,
	now: number
): HistoryGroup<M>[] {
	const groups: {
		day: string | null;
		unread: boolean;
		entries: { message: M; continued: boolean }[];
	}[] = [];
	let previous: M | undefined;
	let previousDay: string | null | undefined;
	for (const message of messages) {
		const day = dayKey(message.ts);
		const newDay = previous === undefined || day !== previousDay;
		const unread = message.id === firstUnreadId;
		let group = groups[groups.length - 1];
		if (!group || newDay || unread) {
			group = { day: newDay ? dayLabel(message.ts, now) : null, unread, entries: [] };
			groups.push(group);
		}
		const continued = !newDay && !unread && continues(previous, message);
		group.entries.push({ message, continued });
		previous = message;
		previousDay = day;
	}
	return groups;
}

/**
 * A key per group that stays the same when older messages of the same day are put in front of
 * it (its day and whether it starts at the unread divider), so the log keeps that group's
 * elements and can hold the reader's place; repeats (days without a valid ts) are numbered.
 */
export function groupKeys<M extends LaidOutMessage>(groups: readonly HistoryGroup<M>[]): string[] {
	const seen = new Map<string, number>();
	return groups.map((group) => {
		const base = `${dayKey(group.entries[0]?.message.ts) ?? 'none'}|${group.unread ? 'unread' : ''}`;
		const n = seen.get(base) ?? 0;
		seen.set(base, n + 1);
		return n === 0 ? base : `${base}#${n}`;
	});
}
