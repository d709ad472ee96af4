import { describe, expect, it } from 'vitest';
import { excerpt } from '../../src/lib/client/replies';
import { makeSnippet } from '../../src/lib/search';
import { PREVIEW_CHARS, previewOf } from '../../src/lib/protocol/summaries';
import {
	formatMessage,
	plainText,
	MAX_FORMAT_DEPTH,
	type Block,
	type Inline
} from '../../src/lib/formatting';

function paragraph(...children: Inline[]): Block {
	return { kind: 'paragraph', children };
}

/** Every href anywhere in the blocks. */
function hrefsOf(blocks: readonly Block[]): string[] {
	const fromInlines = (inlines: readonly Inline[]): string[] =>
		inlines.flatMap((inline) =>
			inline.kind === 'link'
				? [inline.href, ...fromInlines(inline.children)]
				: 'children' in inline
					? fromInlines(inline.children)
					: []
		);
	return blocks.flatMap((block) => {
		if (block.kind === 'paragraph') return fromInlines(block.children);
		if (block.kind === 'quote') return hrefsOf(block.children);
		if (block.kind === 'list') return block.items.flatMap(hrefsOf);
		return [];
	});
}

describe('formatMessage', () => {
	it('leaves a plain message as one paragraph of text with its line breaks', () => {
		expect(formatMessage('hello\nworld')).toEqual([
			paragraph({ kind: 'text', text: 'hello' }, { kind: 'br' }, { kind: 'text', text: 'world' })
		]);
	});

	it('reads bold, italic, inline code and strike-through', () => {
		expect(formatMessage('**b** _i_ `c` ~~s~~')).toEqual([
			paragraph(
				{ kind: 'strong', children: [{ kind: 'text', text: 'b' }] },
				{ kind: 'text', text: ' ' },
				{ kind: 'em', children: [{ kind: 'text', text: 'i' }] },
				{ kind: 'text', text: ' ' },
				{ kind: 'code', text: 'c' },
				{ kind: 'text', text: ' ' },
				{ kind: 'del', children: [{ kind: 'text', text: 's' }] }
			)
		]);
	});

	it('keeps a fenced code block verbatim, markup and all', () => {
		expect(formatMessage('```ts\nconst a = "<b>**x**</b>";\n```')).toEqual([
			{ kind: 'code', lang: 'ts', text: 'const a = "<b>**x**</b>";' }
		]);
	});

	it('reads quotes and lists', () => {
		expect(formatMessage('> quoted\n\n- one\n- two\n\n3. three')).toEqual([
			{ kind: 'quote', children: [paragraph({ kind: 'text', text: 'quoted' })] },
			{
				kind: 'list',
				ordered: false,
				start: 1,
				items: [
					[paragraph({ kind: 'text', text: 'one' })],
					[paragraph({ kind: 'text', text: 'two' })]
				]
			},
			{
				kind: 'list',
				ordered: true,
				start: 3,
				items: [[paragraph({ kind: 'text', text: 'three' })]]
			}
		]);
	});

	it('shows raw HTML, images and headings as the typed text', () => {
		const typed = '<img src=x onerror=alert(1)> ![i](https://x.org/i.png) <b>hi</b>';
		expect(formatMessage(typed)).toEqual([paragraph({ kind: 'text', text: typed })]);
		expect(formatMessage('<script>alert(1)</script>')).toEqual([
			paragraph({ kind: 'text', text: '<script>alert(1)</script>' })
		]);
		expect(formatMessage('# Title')).toEqual([paragraph({ kind: 'text', text: '# Title' })]);
	});

	it('links only http(s) targets; javascript:, data: and relative ones stay text', () => {
		const blocks = formatMessage(
			'[a](javascript:alert(1)) [b](data:text/html,x) [c](/logout) [d](JaVaScRiPt:x) [ok](https://x.org/p)'
		);
		expect(hrefsOf(blocks)).toEqual(['https://x.org/p']);
		expect(plainText('[a](javascript:alert(1))')).toBe('[a](javascript:alert(1))');
	});

	it('shows nesting deeper than the bound as text instead of a deep tree', () => {
		const deep = `${'> '.repeat(200)}deep`;
		const depthOf = (blocks: readonly Block[]): number =>
			Math.max(
				0,
				...blocks.map((block) =>
					block.kind === 'quote'
						? 1 + depthOf(block.children)
						: block.kind === 'list'
							? 1 + Math.max(0, ...block.items.map(depthOf))
							: 0
				)
			);
		const blocks = formatMessage(deep);
		expect(depthOf(blocks)).toBeLessThanOrEqual(MAX_FORMAT_DEPTH + 1);
		expect(plainText(deep)).toContain('deep');
	});

	it('never throws on arbitrary text', () => {
		const samples = [
			'',
			'*',
			'**',
			'`',
			'```',
			'~~~\n',
			'\\',
			'[',
			'](',
			'> ',
			'1.',
			'|a|b|\n|-|-|'
		];
		for (const sample of samples) expect(() => formatMessage(sample)).not.toThrow();
	});
});

describe('plainText', () => {
	it('drops the markup and keeps the words', () => {
		expect(plainText('**bold** and _it_ and `code` ~~gone~~')).toBe('bold and it and code gone');
	});

	it('puts blocks on their own lines and marks list items', () => {
		expect(plainText('> said\n\n- a\n- b')).toBe('said\n• a\n• b');
	});

	it('returns a plain message unchanged', () => {
		expect(plainText('see you at 5, ok?')).toBe('see you at 5, ok?');
	});

	it('keeps a link target next to its label', () => {
		expect(plainText('[docs](https://x.org/d)')).toBe('docs (https://x.org/d)');
	});
});

describe('formatting in plain-text places', () => {
	it('search snippets and excerpts read without the markup', () => {
		expect(makeSnippet('we **ship** on `friday`', ['ship'])).toBe('we ship on friday');
		expect(excerpt('> **quoted** text\n\nreply')).toBe('quoted text reply');
	});
});

describe('previewOf (the sidebar and home list previews)', () => {
	it('shows the plain text on one line, without the markup typed', () => {
		expect(previewOf('Hello **bold** and `code`\n\n> quoted')).toBe('Hello bold and code quoted');
	});

	it('cuts a long text to PREVIEW_CHARS with an ellipsis, never halving a pair', () => {
		const preview = previewOf(`${'a'.repeat(PREVIEW_CHARS - 2)}😀 and more`);
		expect(preview.length).toBeLessThanOrEqual(PREVIEW_CHARS);
		expect(preview.endsWith('…')).toBe(true);
		expect(preview).not.toMatch(/[\uD800-\uDBFF]…$/);
	});
});
