import { describe, expect, it } from 'vitest';
import { linkify } from '../../src/lib/client/linkify';

describe('linkify', () => {
	it('returns plain text as a single text segment', () => {
		expect(linkify('hello there')).toEqual([{ kind: 'text', text: 'hello there' }]);
	});

	it('returns no segments for an empty string', () => {
		expect(linkify('')).toEqual([]);
	});

	it('turns an https URL between words into a link', () => {
		expect(linkify('see https://example.com/a?b=1#c now')).toEqual([
			{ kind: 'text', text: 'see ' },
			{ kind: 'link', text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
			{ kind: 'text', text: ' now' }
		]);
	});

	it('links several http and https URLs', () => {
		const links = linkify('http://a.test and https://b.test').filter((s) => s.kind === 'link');
		expect(links.map((s) => s.text)).toEqual(['http://a.test', 'https://b.test']);
	});

	it('leaves sentence punctuation after a URL out of the link', () => {
		expect(linkify('Go to https://example.com/x.')).toEqual([
			{ kind: 'text', text: 'Go to ' },
			{ kind: 'link', text: 'https://example.com/x', href: 'https://example.com/x' },
			{ kind: 'text', text: '.' }
		]);
	});

	it('leaves an unbalanced closing parenthesis out but keeps balanced ones', () => {
		expect(linkify('(https://example.com/a)')[1]).toMatchObject({ text: 'https://example.com/a' });
		expect(linkify('https://en.wikipedia.org/wiki/Foo_(bar)')[0]).toMatchObject({
			text: 'https://en.wikipedia.org/wiki/Foo_(bar)'
		});
	});

	it('does not link javascript: URLs', () => {
		const text = 'click javascript:alert(1) please';
		expect(linkify(text)).toEqual([{ kind: 'text', text }]);
	});

	it('does not link javascript: URLs that contain an http URL', () => {
		const segments = linkify('javascript:fetch("https://evil.test")');
		for (const segment of segments) {
			if (segment.kind === 'link') expect(segment.href.startsWith('https://evil.test')).toBe(true);
		}
		expect(segments.map((s) => s.text).join('')).toBe('javascript:fetch("https://evil.test")');
	});

	it('does not link data:, file: or protocol-relative URLs', () => {
		for (const text of ['data:text/html,<b>x</b>', 'file:///etc/passwd', '//example.com/x']) {
			expect(linkify(text)).toEqual([{ kind: 'text', text }]);
		}
	});

	it('keeps HTML as literal text', () => {
		const text = '<img src=x onerror=alert(1)>';
		expect(linkify(text)).toEqual([{ kind: 'text', text }]);
	});

	it('stops a URL at an angle bracket so markup around it stays text', () => {
		expect(linkify('<a href="https://x.test">')).toEqual([
			{ kind: 'text', text: '<a href="' },
			{ kind: 'link', text: 'https://x.test', href: 'https://x.test/' },
			{ kind: 'text', text: '">' }
		]);
	});

	it('does not link a scheme without a host', () => {
		expect(linkify('https://')).toEqual([{ kind: 'text', text: 'https://' }]);
	});

	it('keeps every character of the input, in order', () => {
		const text = 'a https://x.test/p, b (http://y.test) c https:// d\nhttps://z.test!';
		expect(
			linkify(text)
				.map((s) => s.text)
				.join('')
		).toBe(text);
	});
});
