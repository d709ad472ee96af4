/**
 * Mentions: "@username" in a message. Found in text for highlighting (as segments rendered as
 * text, never HTML, on top of linkify's), for notifying the mentioned user, and typed with an
 * autocomplete in the composer.
 */
import { findMentions } from '$lib/protocol/mentions';
import { linkify, type TextSegment } from './linkify';

export type MessageSegment =
	TextSegment | { readonly kind: 'mention'; readonly text: string; readonly self: boolean };

// Finding mentions is shared with the server's summaries (src/lib/protocol/mentions.ts).
export { findMentions, mentionsUser, type MentionMatch } from '$lib/protocol/mentions';

/** linkify's segments with the mentions of known users split out of the plain text parts. */
export function segmentMessage(
	text: string,
	usernames: Iterable<string>,
	selfName: string | null
): MessageSegment[] {
	const names = [...usernames];
	const self = selfName?.toLowerCase() ?? null;
	const segments: MessageSegment[] = [];
	for (const segment of linkify(text)) {
		if (segment.kind !== 'text') {
			segments.push(segment);
			continue;
		}
		let cursor = 0;
		for (const mention of findMentions(segment.text, names)) {
			if (mention.start > cursor) {
				segments.push({ kind: 'text', text: segment.text.slice(cursor, mention.start) });
			}
			segments.push({
				kind: 'mention',
				text: mention.text,
				// "@room" / "@here" name everyone, the viewer included.
				self: mention.everyone !== null || mention.username.toLowerCase() === self
			});
			cursor = mention.start + mention.text.length;
		}
		if (cursor < segment.text.length) {
			segments.push({ kind: 'text', text: segment.text.slice(cursor) });
		}
	}
	return segments;
}

/** The "@…" being typed just before the caret: where its "@" is and the letters after it. */
export interface MentionQuery {
	readonly start: number;
	readonly query: string;
}

export function mentionQueryAt(draft: string, caret: number): MentionQuery | null {
	const before = draft.slice(0, caret);
	const match = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]*)$/.exec(before);
	if (!match) return null;
	const query = match[2] ?? '';
	return { start: caret - query.length - 1, query };
}

/** Members whose username starts with the query (case-insensitive), then those containing it. */
export function matchMembers<M extends { readonly username: string }>(
	members: readonly M[],
	query: string,
	limit = 8
): M[] {
	const q = query.toLowerCase();
	const starts = members.filter((m) => m.username.toLowerCase().startsWith(q));
	const contains = members.filter(
		(m) => !m.username.toLowerCase().startsWith(q) && m.username.toLowerCase().includes(q)
	);
	return [...starts, ...contains].slice(0, limit);
}

/** What the autocomplete offers: a member, or "@room" / "@here" with what it means. */
export interface MentionOption {
	readonly id: string;
	readonly username: string;
	/** Shown after the name, e.g. "everyone in the room"; absent for a member. */
	readonly note?: string;
	/**
	 * A member's picture version, or null for their initials: a member is shown with their
	 * avatar; absent for "@room" and "@here".
	 */
	readonly avatar?: string | null;
}

const ROOM_MENTION_OPTIONS: readonly MentionOption[] = [
	{ id: 'mention-room', username: 'room', note: 'everyone in the room' },
	{ id: 'mention-here', username: 'here', note: 'everyone in the room' }
];

/** The members matching the query (as matchMembers), then "@room" and "@here" when they match. */
export function mentionOptions(
	members: readonly MentionOption[],
	query: string,
	limit = 8
): MentionOption[] {
	const everyone = matchMembers(ROOM_MENTION_OPTIONS, query);
	return [...matchMembers(members, query, limit - everyone.length), ...everyone];
}

/** Replaces the "@query" before the caret with "@username " and puts the caret after it. */
export function insertMention(
	draft: string,
	query: MentionQuery,
	caret: number,
	username: string
): { readonly draft: string; readonly caret: number } {
	const inserted = `@${username} `;
	const rest = draft.slice(caret).replace(/^ /, '');
	return {
		draft: draft.slice(0, query.start) + inserted + rest,
		caret: query.start + inserted.length
	};
}
