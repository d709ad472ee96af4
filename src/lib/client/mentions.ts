/**
 * Mentions: "@username" in a message. Found in text for highlighting (as segments rendered as
 * text, never HTML, on top of linkify's), for notifying the mentioned user, and typed with an
 * autocomplete in the composer.
 */
import { linkify, type TextSegment } from './linkify';

export type MessageSegment =
	TextSegment | { readonly kind: 'mention'; readonly text: string; readonly self: boolean };

// "@" at the start or after a character that cannot end a username or an e-mail's local part.
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]+)/g;

export interface MentionMatch {
	/** Index of the "@". */
	readonly start: number;
	/** "@" and the username as written. */
	readonly text: string;
	/** The known username it names, as the member list spells it. */
	readonly username: string;
}

/**
 * The mentions of known usernames in `text` (case-insensitive). A trailing dot is taken as
 * punctuation ("thanks @bob.") unless the username itself ends with one.
 */
export function findMentions(text: string, usernames: Iterable<string>): MentionMatch[] {
	const known = new Map<string, string>();
	for (const name of usernames) known.set(name.toLowerCase(), name);
	const found: MentionMatch[] = [];
	for (const match of text.matchAll(MENTION)) {
		const lead = match[1] ?? '';
		let written = match[2] ?? '';
		let username = known.get(written.toLowerCase());
		while (username === undefined && written.endsWith('.')) {
			written = written.slice(0, -1);
			username = known.get(written.toLowerCase());
		}
		if (username === undefined) continue;
		found.push({ start: match.index + lead.length, text: `@${written}`, username });
	}
	return found;
}

/** Does `text` mention `username`? */
export function mentionsUser(text: string, username: string): boolean {
	return findMentions(text, [username]).length > 0;
}

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
				self: mention.username.toLowerCase() === self
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
