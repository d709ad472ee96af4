import { describe, expect, it } from 'vitest';
import { excerpt, quoteOf, type QuotedSource } from '../../src/lib/client/replies';

describe('excerpt', () => {
	it('keeps a short text whole, on one line', () => {
		expect(excerpt('hello\n  there')).toBe('hello there');
	});

	it('cuts a long text at a word boundary with an ellipsis', () => {
		const text = 'word '.repeat(40);
		const cut = excerpt(text, 22);
		expect(cut).toBe('word word word word…');
		expect(cut.length).toBeLessThanOrEqual(23);
	});

	it('cuts a text without spaces at the limit', () => {
		expect(excerpt('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}…`);
	});
});

describe('quoteOf', () => {
	const sources = new Map<string, QuotedSource>([
		['m1', { id: 'm1', author: 'u1', text: 'the original', deleted: false }],
		['m2', { id: 'm2', author: 'u2', text: '', deleted: true }]
	]);

	it('quotes the original author and text', () => {
		expect(quoteOf('m1', sources)).toEqual({
			kind: 'found',
			id: 'm1',
			author: 'u1',
			excerpt: 'the original'
		});
	});

	it('says when the original was deleted, without its text', () => {
		expect(quoteOf('m2', sources)).toEqual({ kind: 'deleted', id: 'm2', author: 'u2' });
	});

	it('says when the original is not in this replica', () => {
		expect(quoteOf('m9', sources)).toEqual({ kind: 'missing', id: 'm9' });
	});
});
