/**
 * A user's summary listing (docs/design.md "Summary channel and the shell"): every room and DM
 * with its last message and counts, as the user socket's snapshot carries it. The summary feed
 * (sync-server/summary-feed.ts) sends it as the snapshot; the root layout renders the sidebar
 * from it on a full page load, so the list is in the server's HTML.
 */
import { mentionsUser } from '../protocol/mentions';
import { previewOf, type NotificationLevel, type RoomSummary } from '../protocol/summaries';
import type { RoomSummaryRecord, SummaryStorage } from './storage/types';

/** The whole list as a snapshot frame carries it: the rooms and the user's default level. */
export interface SummaryListing {
	readonly rooms: RoomSummary[];
	readonly defaultLevel: NotificationLevel;
}

/** The summary a user sees of a stored room: mentions counted by the client's rule. */
export function summaryFromRecord(record: RoomSummaryRecord, username: string): RoomSummary {
	const last = record.last && {
		...record.last,
		text: previewOf(record.last.text)
	};
	return {
		id: record.id,
		name: record.name,
		kind: record.kind,
		topic: record.topic,
		archived: record.archived,
		encrypted: record.encrypted,
		others: record.others.map(({ id, username, displayName }) => ({ id, username, displayName })),
		lastSeq: record.lastSeq,
		last,
		unread: record.unread,
		level: record.level,
		mentions: record.mentionCandidates.filter((text) => mentionsUser(text, username)).length
	};
}

/**
 * The user's listing: one query for the rooms (`ofUser`, whatever their number) and the
 * one-row default level beside it, as the summary feed reads them.
 */
export async function listSummaries(
	storage: Pick<SummaryStorage, 'ofUser' | 'defaultLevelOf'>,
	user: { readonly id: string; readonly username: string }
): Promise<SummaryListing> {
	const [records, defaultLevel] = await Promise.all([
		storage.ofUser(user.id, user.username),
		storage.defaultLevelOf(user.id)
	]);
	return { rooms: records.map((record) => summaryFromRecord(record, user.username)), defaultLevel };
}
