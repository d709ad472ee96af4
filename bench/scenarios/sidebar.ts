/**
 * (j2) Issue 15's sidebar in Chromium: a user in 200 rooms (20 indexed messages each, unread in
 * the rooms whose messages others wrote) opens a page with the sidebar (`/settings`, 1280 px);
 * time from the navigation's start until the sidebar lists every room and every unread count on
 * screen: the later of the first contentful paint and the start of the frame after the one in
 * which the list was complete in the DOM (that frame has then been drawn). The page checks its
 * own DOM each animation frame (one `page.evaluate`): Playwright's `waitForFunction` would inject
 * its selector engine into the page in the middle of the parse (~9 ms of the main thread in a
 * trace) and poll from a later frame, adding both to what it measured (sessions ≤ 16).
 * - `fresh device`: a new browser context (no cache, no IndexedDB): the list comes from the user
 *   socket's snapshot (server side included). Budget 500 ms.
 * - `local cache`: the same browser again, with its user socket held silent
 *   (`routeWebSocket`), so the list can only come from the summaries it saved in IndexedDB.
 *   Budget 150 ms. The page's HTML still comes from the server: since the layout renders the list
 *   into it, this is the second visit's first paint (the service worker in between: the first
 *   visit waits until it is active, as a returning visitor's is).
 * - the server's part of it: the layout's listing alone (`listSummaries`, in this process on the
 *   same database file) and the whole `/settings` HTML with the list (request to last byte).
 * `BENCH_PROFILE=trace` writes a Chromium trace of the first sample's two visits to
 * bench/results/profiles/ (open them in DevTools' Performance panel).
 */
import { rmSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { SUMMARY_PATH } from '../../src/lib/protocol/summaries';
import { createSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { listSummaries } from '../../src/lib/server/summaries';
import { openSummaries } from '../../tests/support/summary-client';
import { launchChromium, signedInContext, traceInPage } from '../lib/browser';
import { startParley, type Row } from '../lib/harness';
import { summarize } from '../lib/stats';
import { ROOMS, latencyRow, seedRoomList } from './summaries';

const BUDGET = { freshMs: 500, cachedMs: 150 } as const;

/** The trace's file name for sample `i` under `BENCH_PROFILE=trace` (the first only), or null. */
function traceOf(i: number, name: string): string | null {
	return process.env.BENCH_PROFILE === 'trace' && i === 0 ? name : null;
}

/**
 * Opens /settings in a new page; resolves with ms from the navigation's start until the sidebar
 * holding `rooms` rooms and `unread` unread counts is on screen (see above), and until the first
 * contentful paint.
 */
async function sidebarShown(
	context: BrowserContext,
	url: string,
	rooms: number,
	unread: number,
	traceName: string | null = null
): Promise<{ page: Page; ms: number; fcpMs: number }> {
	const page = await context.newPage();
	let listDrawnMs = NaN;
	const work = async (): Promise<void> => {
		await page.goto(url, { waitUntil: 'commit' });
		// The start of the frame after the one in which the list was complete.
		listDrawnMs = await page.evaluate(
			([wantRooms, wantUnread]) =>
				new Promise<number>((resolve) => {
					const complete = (): boolean => {
						const aside = document.querySelector('aside.sidebar');
						return (
							aside !== null &&
							aside.querySelectorAll('li').length === wantRooms &&
							aside.querySelectorAll('li .count').length === wantUnread
						);
					};
					const check = (): void => {
						if (!complete()) return void requestAnimationFrame(check);
						requestAnimationFrame(() => resolve(performance.now()));
					};
					requestAnimationFrame(check);
				}),
			[rooms, unread] as const
		);
	};
	const browser = context.browser();
	if (traceName && browser) await traceInPage(browser, page, traceName, work);
	else await work();
	const fcp = await page.waitForFunction(
		() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? false,
		undefined,
		{ polling: 50, timeout: 60_000 }
	);
	const fcpMs = (await fcp.jsonValue()) as number;
	return { page, ms: Math.max(listDrawnMs, fcpMs), fcpMs };
}

/** ms per `listSummaries` of the seeded user (`bench_0`, seed.ts), read as the layout reads it. */
async function listingTimes(dataDir: string, userId: string, samples: number): Promise<number[]> {
	const storage = createSqliteStorage(openDatabase(databaseFile(dataDir)));
	try {
		const times: number[] = [];
		for (let i = 0; i < samples; i++) {
			const started = performance.now();
			const listing = await listSummaries(storage.summaries, { id: userId, username: 'bench_0' });
			times.push(performance.now() - started);
			if (listing.rooms.length !== ROOMS) throw new Error(`listed ${listing.rooms.length} rooms`);
		}
		return times;
	} finally {
		await storage.close();
	}
}

/** ms from the request to the last byte of `url`'s HTML, which must list every room. */
async function htmlTimes(url: string, cookie: string, samples: number): Promise<number[]> {
	const times: number[] = [];
	for (let i = 0; i < samples; i++) {
		const started = performance.now();
		const response = await fetch(url, { headers: { cookie } });
		const html = await response.text();
		times.push(performance.now() - started);
		const entries = html.split('<li class="').length - 1;
		if (!response.ok || entries < ROOMS) throw new Error(`${response.status}, ${entries} entries`);
	}
	return times;
}

function budgetRow(config: string, times: number[], budget: number, fcps: number[]): Row {
	const met = summarize(times).p50 <= budget ? 'yes' : 'no';
	const fcpP50Ms = Math.round(summarize(fcps).p50);
	return latencyRow(config, times, 'sidebar', { budgetMs: budget, met, fcpP50Ms });
}

export async function runSidebar(options: { samples: number }): Promise<Row[]> {
	const { dataDir, user } = await seedRoomList();
	const server = await startParley(dataDir);
	const browser = await launchChromium();
	try {
		// What the list must show, as the server counts it.
		const feed = openSummaries(server, user.cookie);
		await feed.waitFor(() => (feed.rooms()?.size ?? 0) === ROOMS, 'the snapshot', 30_000);
		const unread = [...(feed.rooms()?.values() ?? [])].filter((room) => room.unread > 0).length;
		feed.close();
		const url = `${server.url}/settings`;
		const fresh: number[] = [];
		const cached: number[] = [];
		const freshFcp: number[] = [];
		const cachedFcp: number[] = [];
		for (let i = 0; i < options.samples; i++) {
			const context = await signedInContext(browser, server.url, user.cookie);
			try {
				const first = await sidebarShown(context, url, ROOMS, unread, traceOf(i, 'sidebar-fresh'));
				fresh.push(first.ms);
				freshFcp.push(first.fcpMs);
				// The list is saved a moment after it changes: wait until IndexedDB holds it.
				await first.page.waitForFunction(
					(userId) =>
						new Promise<boolean>((resolve) => {
							const open = indexedDB.open('parley-summaries');
							open.onsuccess = () => {
								const db = open.result;
								if (!db.objectStoreNames.contains('lists')) return resolve(false);
								const get = db.transaction('lists').objectStore('lists').get(userId);
								get.onsuccess = () => resolve(get.result !== undefined);
								get.onerror = () => resolve(false);
							};
							open.onerror = () => resolve(false);
						}),
					user.id,
					{ polling: 50, timeout: 30_000 }
				);
				// A returning visitor's pages are the service worker's: wait until it is installed
				// (its precache filled) and active, as room-open's reopen does; closing before then
				// would make the second visit a first one again, or race the install.
				await first.page.evaluate(async () => {
					const registration = await navigator.serviceWorker.ready;
					if (!registration.active) throw new Error('no active service worker');
				});
				await first.page.close();
				// The user socket connects but hears nothing: the page's HTML and the cache fill the list.
				await context.routeWebSocket(
					(wsUrl) => wsUrl.pathname === SUMMARY_PATH,
					() => undefined
				);
				const again = await sidebarShown(context, url, ROOMS, unread, traceOf(i, 'sidebar-cached'));
				cached.push(again.ms);
				cachedFcp.push(again.fcpMs);
				await again.page.close();
			} finally {
				await context.close();
			}
		}
		const listing = await listingTimes(dataDir, user.id, options.samples);
		const html = await htmlTimes(url, user.cookie, options.samples);
		return [
			latencyRow(
				`server: the layout's listing of ${ROOMS} rooms (listSummaries)`,
				listing,
				'sidebar'
			),
			latencyRow(`server: /settings HTML with the list, request to last byte`, html, 'sidebar'),
			budgetRow(
				`fresh device: /settings until the sidebar shows ${ROOMS} rooms and ${unread} counts`,
				fresh,
				BUDGET.freshMs,
				freshFcp
			),
			budgetRow(
				'the same browser again, its user socket silent: from the local cache',
				cached,
				BUDGET.cachedMs,
				cachedFcp
			)
		];
	} finally {
		await browser.close();
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
