/**
 * Message formatting: the Markdown people type in chat (`**bold**`, `_italic_`, `` `code` ``,
 * fenced code blocks, `~~strike~~`, `> quotes`, lists) parsed by marked's lexer into a small,
 * closed view model that components render as elements and text nodes — never as HTML. Raw
 * HTML, images, headings and tables are shown as the text that was typed; a link is a link
 * only when its target is http(s). Shared by the room page (formatted), and by search results,
 * notifications and reply quotes (`plainText`), so the same text reads the same everywhere.
 */
import { Lexer, type Token, type Tokens } from 'marked';

export type Inline =
	| { readonly kind: 'text'; readonly text: string }
	| { readonly kind: 'code'; readonly text: string }
	| { readonly kind: 'br' }
	| { readonly kind: 'link'; readonly href: string; readonly children: readonly Inline[] }
	| {
			readonly kind: 'strong' | 'em' | 'del';
			readonly children: readonly Inline[];
	  };

export type Block =
	| { readonly kind: 'paragraph'; readonly children: readonly Inline[] }
	| { readonly kind: 'code'; readonly text: string; readonly lang: string }
	| { readonly kind: 'quote'; readonly children: readonly Block[] }
	| {
			readonly kind: 'list';
			readonly ordered: boolean;
			readonly start: number;
			readonly items: readonly (readonly Block[])[];
	  }
	| { readonly kind: 'rule' };

/**
 * Nesting deeper than this (quotes in lists in quotes…) is shown as the typed text: a hostile
 * message must not make a deep tree to render.
 */
export const MAX_FORMAT_DEPTH = 6;

/** Characters without which a text has no formatting (a plain message skips the lexer). */
const MARKUP = /[*_`~>#|[\]\\<!-]|^\s*\d+[.)]\s|^ {4}|\n\s*\n/m;

/** A target is linked only when it parses as http(s) with a host; otherwise null. */
export function safeHref(candidate: string): string | null {
	try {
		const url = new URL(candidate);
		if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return null;
		return url.href;
	} catch {
		return null;
	}
}

function textLines(text: string): Inline[] {
	const out: Inline[] = [];
	text.split('\n').forEach((line, index) => {
		if (index > 0) out.push({ kind: 'br' });
		if (line) out.push({ kind: 'text', text: line });
	});
	return out;
}

/** Adjacent text leaves merged, so mentions and links split across tokens are found whole. */
function merged(inlines: Inline[]): Inline[] {
	const out: Inline[] = [];
	for (const inline of inlines) {
		const last = out[out.length - 1];
		if (inline.kind === 'text' && last?.kind === 'text') {
			out[out.length - 1] = { kind: 'text', text: last.text + inline.text };
		} else out.push(inline);
	}
	return out;
}

function toInlines(tokens: readonly Token[] | undefined, depth: number): Inline[] {
	const out: Inline[] = [];
	for (const token of tokens ?? []) out.push(...toInline(token, depth));
	return merged(out);
}

function toInline(token: Token, depth: number): Inline[] {
	if (depth > MAX_FORMAT_DEPTH) return textLines(token.raw);
	switch (token.type) {
		case 'text':
			// A tight list item's text holds the inline tokens; a plain one only its text.
			if ('tokens' in token && token.tokens && token.tokens.length > 0) {
				return toInlines(token.tokens, depth + 1);
			}
			return textLines((token as Tokens.Text).text);
		case 'escape':
			return [{ kind: 'text', text: (token as Tokens.Escape).text }];
		case 'codespan':
			return [{ kind: 'code', text: (token as Tokens.Codespan).text }];
		case 'br':
			return [{ kind: 'br' }];
		case 'strong':
		case 'em':
		case 'del':
			return [{ kind: token.type, children: toInlines(token.tokens, depth + 1) }];
		case 'link': {
			const link = token as Tokens.Link;
			const href = safeHref(link.href);
			// An autolinked e-mail address, `javascript:` or a relative target: the typed text.
			if (href === null) return textLines(link.raw);
			return [{ kind: 'link', href, children: toInlines(link.tokens, depth + 1) }];
		}
		default:
			// Raw HTML, images and anything else marked knows: exactly what was typed.
			return textLines(token.raw);
	}
}

function toBlocks(tokens: readonly Token[], depth: number): Block[] {
	const out: Block[] = [];
	for (const token of tokens) {
		const block = toBlock(token, depth);
		if (block) out.push(block);
	}
	return out;
}

function rawParagraph(raw: string): Block {
	return { kind: 'paragraph', children: textLines(raw.replace(/\n+$/, '')) };
}

function toBlock(token: Token, depth: number): Block | null {
	if (token.type === 'space') return null;
	if (depth > MAX_FORMAT_DEPTH) return rawParagraph(token.raw);
	switch (token.type) {
		case 'paragraph':
			return { kind: 'paragraph', children: toInlines((token as Tokens.Paragraph).tokens, depth) };
		case 'text':
			return { kind: 'paragraph', children: toInline(token, depth) };
		case 'code': {
			const code = token as Tokens.Code;
			return { kind: 'code', text: code.text, lang: code.lang ?? '' };
		}
		case 'blockquote':
			return { kind: 'quote', children: toBlocks((token as Tokens.Blockquote).tokens, depth + 1) };
		case 'list': {
			const list = token as Tokens.List;
			const start =
				typeof list.start === 'number' && Number.isSafeInteger(list.start) ? list.start : 1;
			return {
				kind: 'list',
				ordered: list.ordered,
				start,
				items: list.items.map((item) => toBlocks(item.tokens, depth + 1))
			};
		}
		case 'hr':
			return { kind: 'rule' };
		default:
			// Headings, tables, raw HTML, link definitions: the typed text, as a paragraph.
			return rawParagraph(token.raw);
	}
}

const lexerOptions = { gfm: true, breaks: true } as const;

/** The blocks `text` shows as. Never throws: text the lexer chokes on is shown as typed. */
export function formatMessage(text: string): Block[] {
	if (!MARKUP.test(text)) return text ? [{ kind: 'paragraph', children: textLines(text) }] : [];
	try {
		return toBlocks(new Lexer(lexerOptions).lex(text), 0);
	} catch {
		return [{ kind: 'paragraph', children: textLines(text) }];
	}
}

function inlineText(inlines: readonly Inline[]): string {
	return inlines
		.map((inline) => {
			if (inline.kind === 'text' || inline.kind === 'code') return inline.text;
			if (inline.kind === 'br') return '\n';
			if (inline.kind === 'link') {
				const label = inlineText(inline.children);
				return label === inline.href || label === '' ? inline.href : `${label} (${inline.href})`;
			}
			return inlineText(inline.children);
		})
		.join('');
}

function blockText(block: Block): string {
	switch (block.kind) {
		case 'paragraph':
			return inlineText(block.children);
		case 'code':
			return block.text;
		case 'quote':
			return block.children.map(blockText).join('\n');
		case 'list':
			return block.items
				.map((item, index) => {
					const marker = block.ordered ? `${block.start + index}.` : '•';
					return `${marker} ${item.map(blockText).join(' ')}`;
				})
				.join('\n');
		case 'rule':
			return '';
	}
}

/**
 * The text without its markup, for places that show plain text: search results,
 * notifications, reply quotes. Block boundaries become line breaks.
 */
export function plainText(text: string): string {
	if (!MARKUP.test(text)) return text;
	return formatMessage(text)
		.map(blockText)
		.filter((part) => part !== '')
		.join('\n');
}
