/**
 * Splits message text into plain text and http(s) links, so the UI can render every part as
 * text (never as HTML) and only real web links as anchors.
 */
import { safeHref } from '../formatting';

export type TextSegment =
	| { readonly kind: 'text'; readonly text: string }
	| { readonly kind: 'link'; readonly text: string; readonly href: string };

// A candidate starts at "http://" or "https://" and runs to the next whitespace or angle bracket.
const CANDIDATE = /https?:\/\/[^\s<>"]+/gi;
// Punctuation that usually ends a sentence rather than a URL ("see https://x.org.").
const TRAILING_PUNCTUATION = /[.,;:!?'"]+$/;

/** Drops a closing parenthesis that has no opening partner inside the URL ("(see https://x)"). */
function trimUnbalancedParen(url: string): string {
	let result = url;
	while (result.endsWith(')')) {
		const opens = result.split('(').length - 1;
		const closes = result.split(')').length - 1;
		if (closes <= opens) break;
		result = result.slice(0, -1);
	}
	return result;
}

function trimUrl(url: string): string {
	let previous: string;
	let current = url;
	do {
		previous = current;
		current = trimUnbalancedParen(current.replace(TRAILING_PUNCTUATION, ''));
	} while (current !== previous);
	return current;
}

export function linkify(text: string): TextSegment[] {
	const segments: TextSegment[] = [];
	let plain = '';
	let cursor = 0;
	for (const match of text.matchAll(CANDIDATE)) {
		const start = match.index;
		const url = trimUrl(match[0]);
		const href = url.length > 0 ? safeHref(url) : null;
		if (href === null) continue;
		plain += text.slice(cursor, start);
		if (plain) segments.push({ kind: 'text', text: plain });
		plain = '';
		segments.push({ kind: 'link', text: url, href });
		cursor = start + url.length;
	}
	plain += text.slice(cursor);
	if (plain) segments.push({ kind: 'text', text: plain });
	return segments;
}
