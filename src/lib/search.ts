/**
 * Message search, the parts the server and the browser share: turning what someone typed into
 * terms, the FTS5 query the server runs, the substring match the offline search runs over local
 * replicas, and the snippet with its highlighted terms. Pure: no I/O, no DOM.
 */
import { plainText } from './formatting';
import { SHOWABLE_WINDOW, isTs, isUuid } from './protocol/schema';

/** One found message: what /api/search answers with, and what the offline search builds. */
export interface SearchHit {
	readonly roomId: string;
	readonly roomName: string;
	readonly messageId: string;
	readonly author: string;
	readonly authorName: string | null;
	readonly text: string;
	readonly snippet: string;
	readonly ts: number;
}

/** A room id as the server makes them (generateId); it goes into a link. */
const ROOM_ID = /^[a-z0-9]{1,64}$/;

/**
 * A hit as the page may show it, or null: a result carries a message's values (other people's
 * data, indexed maybe before the schema was exact), and its ids go into a link.
 */
export function parseSearchHit(value: unknown): SearchHit | null {
	if (typeof value !== 'object' || value === null) return null;
	const hit = value as Record<string, unknown>;
	const { roomId, roomName, messageId, author, authorName, text, snippet, ts } = hit;
	if (typeof roomId !== 'string' || !ROOM_ID.test(roomId) || !isUuid(messageId)) return null;
	if (typeof roomName !== 'string' || typeof author !== 'string') return null;
	if (authorName !== null && typeof authorName !== 'string') return null;
	if (typeof text !== 'string' || typeof snippet !== 'string') return null;
	if (!isTs(ts, SHOWABLE_WINDOW)) return null;
	return { roomId, roomName, messageId, author, authorName, text, snippet, ts };
}

/** At most this many terms are used from a query; the rest is ignored. */
export const MAX_SEARCH_TERMS = 16;
/** A term is cut to this many characters. */
export const MAX_TERM_CHARS = 64;
/** Characters of context shown on each side of the first match in a snippet. */
export const SNIPPET_RADIUS_CHARS = 60;

/**
 * The words of a query: split on whitespace, with double quotes removed (they would end the
 * quoted FTS5 string each term becomes). Empty when nothing searchable is left.
 */
export function searchTerms(query: string): string[] {
	return query
		.replace(/"/g, ' ')
		.split(/\s+/u)
		.map((term) => term.slice(0, MAX_TERM_CHARS))
		.filter((term) => term.length > 0)
		.slice(0, MAX_SEARCH_TERMS);
}

/**
 * The FTS5 MATCH expression for the terms: every term quoted (so operators, parentheses and
 * column filters in user input are plain text, never syntax) and matched as a prefix, all
 * required ("hel wor" finds "hello world").
 */
export function toFtsQuery(terms: readonly string[]): string {
	return terms.map((term) => `"${term.replace(/"/g, '""')}"*`).join(' ');
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One regular expression finding any term, case-insensitively; longer terms win. */
function termPattern(terms: readonly string[]): RegExp | null {
	const unique = [...new Set(terms.filter((term) => term.length > 0))];
	if (unique.length === 0) return null;
	unique.sort((a, b) => b.length - a.length);
	return new RegExp(unique.map(escapeRegExp).join('|'), 'giu');
}

/** The offline search's rule: the text contains every term, ignoring case. */
export function matchesAllTerms(text: string, terms: readonly string[]): boolean {
	if (terms.length === 0) return false;
	return terms.every((term) => new RegExp(escapeRegExp(term), 'iu').test(text));
}

/**
 * An excerpt of `text` around the first term found, at most `radius` characters either side,
 * with "…" where text was cut. Text without a match gives its beginning. Formatting marks
 * are left out (src/lib/formatting.ts): a result reads as plain text.
 */
export function makeSnippet(
	formatted: string,
	terms: readonly string[],
	radius: number = SNIPPET_RADIUS_CHARS
): string {
	const text = plainText(formatted);
	const pattern = termPattern(terms);
	const found = pattern?.exec(text);
	const at = found?.index ?? 0;
	const length = found?.[0].length ?? 0;
	let start = Math.max(0, at - radius);
	let end = Math.min(text.length, at + length + radius);
	// Do not cut a surrogate pair in half.
	if (start > 0 && /[\uDC00-\uDFFF]/.test(text.charAt(start))) start--;
	if (end < text.length && /[\uDC00-\uDFFF]/.test(text.charAt(end))) end++;
	return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

export interface TextSegment {
	readonly text: string;
	/** True for an occurrence of a search term (shown in <mark>). */
	readonly match: boolean;
}

/**
 * Splits `text` into plain and matched segments, so a page renders the highlight as text nodes
 * inside <mark> elements and never as HTML. Joining the segments gives back `text`.
 */
export function highlightTerms(text: string, terms: readonly string[]): TextSegment[] {
	const pattern = termPattern(terms);
	if (!pattern || text.length === 0) return text.length === 0 ? [] : [{ text, match: false }];
	const segments: TextSegment[] = [];
	let last = 0;
	for (const found of text.matchAll(pattern)) {
		const at = found.index;
		if (at > last) segments.push({ text: text.slice(last, at), match: false });
		segments.push({ text: found[0], match: true });
		last = at + found[0].length;
	}
	if (last < text.length) segments.push({ text: text.slice(last), match: false });
	return segments;
}

/**
 * The search page's filters, as its form puts them in the URL: a room id, an author's username,
 * and a range of calendar days in the reader's time zone (`YYYY-MM-DD`, both days included).
 */
export interface SearchFilterFields {
	readonly room: string;
	readonly author: string;
	readonly from: string;
	readonly to: string;
}

/** The filters as GET /api/search takes them: `from`/`to` in ms, `to` excluded; all optional. */
export interface SearchFilterQuery {
	readonly room?: string;
	readonly author?: string;
	readonly from?: number;
	readonly to?: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight at the start of `day` (`YYYY-MM-DD`), plus `addDays`; undefined if no date. */
function localMidnight(day: string, addDays = 0): number | undefined {
	const found = DAY.exec(day);
	if (!found) return undefined;
	const [, year, month, date] = found.map(Number) as [number, number, number, number];
	const ms = new Date(year, month - 1, date + addDays).getTime();
	return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The page's fields from its URL (absent ones empty). */
export function searchFilterFields(params: URLSearchParams): SearchFilterFields {
	const field = (name: string): string => (params.get(name) ?? '').trim();
	return { room: field('room'), author: field('author'), from: field('from'), to: field('to') };
}

/** The fields as the API's query: empty or unreadable fields are left out. */
export function toFilterQuery(fields: SearchFilterFields): SearchFilterQuery {
	return {
		...(fields.room ? { room: fields.room } : {}),
		...(fields.author ? { author: fields.author } : {}),
		...(localMidnight(fields.from) !== undefined ? { from: localMidnight(fields.from) } : {}),
		// The whole "to" day is included: up to the next day's midnight.
		...(localMidnight(fields.to, 1) !== undefined ? { to: localMidnight(fields.to, 1) } : {})
	};
}

/**
 * The offline search's reading of the same filters: the author by any of `authorNames` (their
 * username and display name; by default the hit's shown name), ignoring case.
 */
export function matchesFilters(
	hit: SearchHit,
	filters: SearchFilterQuery,
	authorNames: readonly string[] = hit.authorName ? [hit.authorName] : []
): boolean {
	if (filters.room !== undefined && hit.roomId !== filters.room) return false;
	if (filters.from !== undefined && hit.ts < filters.from) return false;
	if (filters.to !== undefined && hit.ts >= filters.to) return false;
	if (filters.author !== undefined) {
		const wanted = filters.author.toLowerCase();
		return authorNames.some((name) => name !== '' && name.toLowerCase() === wanted);
	}
	return true;
}
