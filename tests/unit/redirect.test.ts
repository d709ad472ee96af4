/**
 * safeRedirectPath: whatever the query string holds, the Location we answer with is a path on
 * this site. The property is checked on the FINAL value, the way a browser resolves it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeRedirectPath } from '../../src/lib/server/http';

const SITE = 'https://chat.example.com';

/** What a browser does with a Location header sent in answer to `${SITE}/login?...`. */
function followLocation(location: string): URL {
	return new URL(location, `${SITE}/login?redirectTo=x`);
}

/** A same-origin path: one leading slash, nothing a URL parser strips or turns into a host. */
function expectSitePath(location: string): void {
	expect(location).toMatch(/^\/(?![/\\])/);
	// Tabs and newlines are removed by URL parsers, so "/\t/evil" would become "//evil".
	expect(location).not.toMatch(/[\t\n\r]/);
	const followed = followLocation(location);
	expect(followed.origin).toBe(SITE);
	expect(followed.pathname + followed.search + followed.hash).toBe(location);
}

/** Pieces that open redirects are made of, joined at random. */
const piece = fc.constantFrom(
	'/',
	'//',
	'\\',
	'.',
	'..',
	'/../',
	'%2e',
	'%2E%2e',
	'%2f',
	'%2F',
	'%5c',
	'%09',
	'\t',
	'\n',
	'\r',
	' ',
	'\u0000',
	'evil.example',
	'phish',
	':',
	'@',
	'?',
	'#',
	'http:',
	'https://evil.example',
	'javascript:alert(1)',
	'rooms',
	'a'
);
const redirectInput = fc.oneof(
	fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
	fc.string({ unit: 'binary', maxLength: 40 }),
	fc.string({ maxLength: 40 }).map((rest) => `/${rest}`)
);

describe('safeRedirectPath', () => {
	const seed = Date.now() % 2_147_483_647;
	it(`always answers a same-origin path with a single leading slash (seed ${seed})`, () => {
		fc.assert(
			fc.property(redirectInput, (input) => {
				expectSitePath(safeRedirectPath(input));
			}),
			{ seed, numRuns: 5_000 }
		);
	});

	it.each([
		'/..//evil.example/phish',
		'/\\evil.example',
		'/\\\\evil.example',
		'%2F%2Fevil.example',
		'/%2e%2e//evil.example',
		'/%2E%2E/%2Fevil.example',
		'/.//evil.example',
		'/..\\/evil.example',
		'/\t/evil.example',
		'/\n/evil.example',
		'/\r\n/evil.example',
		'//evil.example',
		'https://evil.example/',
		'javascript:alert(1)'
	])('never sends %j to another host', (input) => {
		expectSitePath(safeRedirectPath(input));
	});

	it('keeps a path on this site with its query and fragment', () => {
		expect(safeRedirectPath('/rooms/abc?x=1#m-2')).toBe('/rooms/abc?x=1#m-2');
		expect(safeRedirectPath('/invite/tok%2Fen')).toBe('/invite/tok%2Fen');
		expect(safeRedirectPath(null, '/dms')).toBe('/dms');
	});
});
