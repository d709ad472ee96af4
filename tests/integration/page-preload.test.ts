/**
 * What a page preloads (hooks.server.ts `preloadScriptsAfterPaint`, design.md "Browser client"):
 * its stylesheets in the `Link` header, its script modules only from an inline script that runs
 * after the first paint (tests/e2e/shell.spec.ts runs it in Chromium). Fetching and compiling
 * ~40 modules while the page was parsed held the server-rendered page's first paint back
 * (bench/results/issue15.md, session 18). A room page, whose messages need its scripts, names
 * them in the header as before. The real program after a build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateRoom, registeredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

/** The paths listed by the page's after-paint preload script, or null without one. */
function preloadedAfterPaint(html: string): string[] | null {
	const list = /new PerformanceObserver\([\s\S]*?for \(const href of (\[[^\]]*\])\)/.exec(html);
	return list?.[1] ? (JSON.parse(list[1]) as string[]) : null;
}

describe('what a page preloads', () => {
	it('names its stylesheets in the Link header and no script module', async () => {
		const response = await fetch(new URL('/login', server.url));
		expect(response.status).toBe(200);
		const header = response.headers.get('link') ?? '';
		const links = header.split(/,\s*(?=<)/).filter(Boolean);
		const html = await response.text();
		const stylesheets = [...html.matchAll(/<link href="([^"]+\.css)" rel="stylesheet">/g)].map(
			(match) => match[1]
		);
		expect(stylesheets.length).toBeGreaterThan(0);
		expect(links.map((link) => /^<([^>]+)>/.exec(link)?.[1]).sort()).toEqual(
			[...stylesheets].sort()
		);
		for (const link of links) expect(link).toMatch(/; rel="preload"; as="style"/);
		expect(header).not.toMatch(/modulepreload/);
	});

	it('lists its script modules for after the first paint, the boot script’s entry among them', async () => {
		const response = await fetch(new URL('/login', server.url));
		const html = await response.text();
		const paths = preloadedAfterPaint(html);
		expect(paths).not.toBeNull();
		const entry = /import\("(\.\/_app\/immutable\/entry\/start\.[^"]+\.js)"\)/.exec(html)?.[1];
		expect(entry).toBeDefined();
		expect(paths).toContain(entry);
		// After the page's content and its boot script, before </body>.
		expect(html.indexOf('new PerformanceObserver')).toBeGreaterThan(html.indexOf(entry ?? ''));
		expect(html.indexOf('new PerformanceObserver')).toBeLessThan(html.lastIndexOf('</body>'));
		for (const path of paths ?? []) {
			expect(path).toMatch(/^\.\/_app\/immutable\/.+\.js$/);
			const module = await fetch(new URL(path, response.url));
			expect(module.status, path).toBe(200);
			await module.arrayBuffer();
		}
	});

	it('a room page names its script modules in the Link header, with no after-paint script', async () => {
		const owner = await registeredClient(server.url);
		const roomId = await createPrivateRoom(owner, 'Preloads');
		const response = await fetch(new URL(`/rooms/${roomId}`, server.url), {
			headers: { cookie: owner.cookie ?? '' }
		});
		expect(response.status).toBe(200);
		const html = await response.text();
		const entry = /import\("\.\.\/_app\/immutable\/entry\/(start\.[^"]+\.js)"\)/.exec(html)?.[1];
		expect(entry).toBeDefined();
		expect(response.headers.get('link')).toContain(
			`/_app/immutable/entry/${entry}>; rel="modulepreload"`
		);
		expect(preloadedAfterPaint(html)).toBeNull();
	});
});
