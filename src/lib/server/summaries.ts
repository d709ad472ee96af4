/**
 * A user's summary listing (docs/design.md "Summary channel and the shell"): every room and DM
 * with its last message and counts, as the user socket's snapshot carries it. The summary feed
 * (sync-server/summary-feed.ts) sends it as the snapshot; the root layout renders the sidebar
 * from it on a full page load, so the list is in the server's HTML.
 */
import { mentionsUser } from '../protocol/mentions';
import { previewOf, type NotificationLevel, type RoomSummary } from '../protocol/summaries';
import type { ServerEvents } from './events';
import type { RoomSummaryRecord, Storage, SummaryStorage } from './storage/types';

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

/**
 * The listing as the HTTP side reads it (the root layout): after what this instance committed
 * so far is in the search index (the sync server answers `summaries-wanted`), so the page never
 * shows an older last message than its summary socket will.
 */
export async function listSummariesNow(
	services: { readonly storage: Pick<Storage, 'summaries'>; readonly events: ServerEvents },
	user: { readonly id: string; readonly username: string }
): Promise<SummaryListing> {
	const waits: Promise<void>[] = [];
	services.events.emit('summaries-wanted', { waitFor: (ready) => waits.push(ready) });
	await Promise.all(waits);
	return listSummaries(services.storage.summaries, user);
}
