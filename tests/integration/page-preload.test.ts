/**
 * A page's answer preloads its stylesheets, not its script modules (hooks.server.ts
 * `preloadStylesOnly`, design.md "Browser client"): fetching and compiling ~40 modules while the
 * page was parsed held the server-rendered page's first paint back (bench/results/issue15.md,
 * session 18). The real program after a build; the page must still start its scripts itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

describe('what a page preloads', () => {
	it('names its stylesheets in the Link header and no script module', async () => {
		const response = await fetch(new URL('/login', server.url));
		expect(response.status).toBe(200);
		const links = (response.headers.get('link') ?? '').split(/,\s*(?=<)/).filter(Boolean);
		const html = await response.text();
		const stylesheets = [...html.matchAll(/<link href="([^"]+\.css)" rel="stylesheet">/g)].map(
			(match) => match[1]
		);
		expect(stylesheets.length).toBeGreaterThan(0);
		expect(links.map((link) => /^<([^>]+)>/.exec(link)?.[1]).sort()).toEqual(
			[...stylesheets].sort()
		);
		for (const link of links) expect(link).toMatch(/; rel="preload"; as="style"/);
		expect(response.headers.get('link')).not.toMatch(/modulepreload/);
		expect(html).not.toMatch(/modulepreload/);
		// The page still loads its scripts: its own boot script imports the entry modules.
		expect(html).toMatch(/import\("\.\/_app\/immutable\/entry\/start\.[^"]+\.js"\)/);
	});
});
