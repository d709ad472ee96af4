/** Replies: the quoted preview of the message a reply answers (`replyTo`). */

import { plainText } from '../formatting';

/** At most this many characters of the original show in a quote. */
export const EXCERPT_CHARS = 120;

/**
 * The text without its formatting (src/lib/formatting.ts) on one line, cut at a word boundary
 * near `max` with an ellipsis: for quotes, the reply preview and notifications.
 */
export function excerpt(text: string, max: number = EXCERPT_CHARS): string {
	const line = plainText(text).replace(/\s+/g, ' ').trim();
	if (line.length <= max) return line;
	const cut = line.slice(0, max);
	const space = cut.lastIndexOf(' ');
	return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export interface QuotedSource {
	readonly id: string;
	readonly author: string;
	readonly text: string;
	readonly deleted: boolean;
}

/** What a reply shows of its original; `missing` when this replica does not hold it (yet). */
export type ReplyQuote =
	| {
			readonly kind: 'found';
			readonly id: string;
			readonly author: string;
			readonly excerpt: string;
	  }
	| { readonly kind: 'deleted'; readonly id: string; readonly author: string }
	| { readonly kind: 'missing'; readonly id: string };

/** The messages by id, for finding what replies quote. */
export function indexById(sources: readonly QuotedSource[]): Map<string, QuotedSource> {
	return new Map(sources.map((source) => [source.id, source]));
}

/** `byId` may be any lookup by id (a Map, or one that finds sources on demand). */
export function quoteOf(
	replyTo: string,
	byId: Pick<ReadonlyMap<string, QuotedSource>, 'get'>
): ReplyQuote {
	const source = byId.get(replyTo);
	if (!source) return { kind: 'missing', id: replyTo };
	if (source.deleted) return { kind: 'deleted', id: source.id, author: source.author };
	return { kind: 'found', id: source.id, author: source.author, excerpt: excerpt(source.text) };
}
