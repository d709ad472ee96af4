/**
 * Opening pages in Chromium (issue 16's figures): a room of 1,000 messages opened for the first
 * time in a fresh browser (empty cache, no replica: the history comes over the socket), then
 * reopened (the local replica in IndexedDB, cache warm), the first contentful paint of the home
 * page (fresh browser, then reloaded), and the JavaScript the room page loads, as sent
 * (compressed) and as run. Times are from the navigation's start to the latest message inside
 * the viewport; beside them the renderer main thread's CPU time (CDP Performance ThreadTime)
 * and its script, style and layout time, which a loaded machine stretches less than the wall
 * clock.
 * `BENCH_PROFILE=1` also writes a CPU profile of each open to bench/results/profiles/;
 * `BENCH_PROFILE=trace` a Chromium trace instead (style, layout and paint by name).
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import * as prettier from 'prettier';
import { replicaHoldsText } from '../../tests/support/replica-probe';
import { ROOT, makeTempDir } from '../../tests/support/server';
import {
	launchChromium,
	profileInPage,
	signedInContext,
	traceInPage,
	visibleAt
} from '../lib/browser';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed, storeSnapshot } from '../lib/seed';
import { round } from '../lib/stats';

const MESSAGES = 1_000;
const PROFILE = process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'trace';
const TRACE = process.env.BENCH_PROFILE === 'trace';
/** `BENCH_SIGNED=1`: the history's messages signed by their authors' devices. */
const SIGNED = process.env.BENCH_SIGNED === '1';

/** Issue 16's budgets. */
const TARGETS = {
	firstOpenMs: 800,
	reopenMs: 300,
	homeFcpMs: 200,
	roomJsKb: 150
} as const;

const latestText = `history message number ${MESSAGES - 1} `;

interface Timed {
	/** From the navigation's start, ms. */
	readonly ms: number;
	/** The renderer's main thread over that time: CPU, and time in script, style and layout. */
	readonly renderer: RendererMs;
	/** Milestones on the way, from the navigation's start: HTML received, DOMContentLoaded, load. */
	readonly htmlMs: number;
	readonly domContentLoadedMs: number;
	readonly loadMs: number;
	/** Whether the service worker handled the page (a returning visitor's reopen should be). */
	readonly controlled: boolean;
}

interface ScriptBytes {
	readonly files: number;
	readonly transferredKb: number;
	readonly decodedKb: number;
	/**
	 * The same files' gzip size (the build's .gz files): what a browser is sent from an origin
	 * it does not accept br from (Chromium takes br from secure origins only: HTTPS, localhost).
	 */
	readonly gzipKb: number;
}

/** CDP Performance metrics of the page's renderer so far, in ms (CPU and busy times). */
interface RendererMs {
	/** CPU time of the renderer's main thread (CDP ThreadTime). */
	readonly cpu: number;
	readonly script: number;
	readonly compile: number;
	readonly style: number;
	readonly layout: number;
}

async function rendererMetrics(
	context: BrowserContext,
	page: Page
): Promise<() => Promise<RendererMs>> {
	const cdp = await context.newCDPSession(page);
	await cdp.send('Performance.enable');
	return async () => {
		const { metrics } = await cdp.send('Performance.getMetrics');
		const ms = (name: string): number =>
			round((metrics.find((m) => m.name === name)?.value ?? NaN) * 1000);
		return {
			cpu: ms('ThreadTime'),
			script: ms('ScriptDuration'),
			compile: ms('V8CompileDuration'),
			style: ms('RecalcStyleDuration'),
			layout: ms('LayoutDuration')
		};
	};
}

/** Opens `url` in a new page of `context` and times it until the latest message shows. */
async function openRoom(
	context: BrowserContext,
	url: string,
	profileName: string | null
): Promise<{ page: Page; timed: Timed }> {
	const page = await context.newPage();
	const metrics = await rendererMetrics(context, page);
	let ms = NaN;
	const work = async (): Promise<void> => {
		await page.goto(url);
		ms = await visibleAt(page, latestText);
	};
	const browser = context.browser();
	if (profileName && TRACE && browser) await traceInPage(browser, page, profileName, work);
	else if (profileName) await profileInPage(context, page, profileName, work);
	else await work();
	const milestones = await page.evaluate(() => {
		const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
		return {
			controlled: navigator.serviceWorker.controller !== null,
			htmlMs: nav?.responseEnd ?? NaN,
			domContentLoadedMs: nav?.domContentLoadedEventEnd ?? NaN,
			loadMs: nav?.loadEventEnd ?? NaN
		};
	});
	return {
		page,
		timed: {
			ms: round(ms),
			renderer: await metrics(),
			htmlMs: round(milestones.htmlMs),
			domContentLoadedMs: round(milestones.domContentLoadedMs),
			loadMs: round(milestones.loadMs),
			controlled: milestones.controlled
		}
	};
}

/** The JavaScript files the page loaded: bytes on the wire (body, compressed) and decoded. */
async function scriptBytes(page: Page): Promise<ScriptBytes> {
	const sent = await page.evaluate(() => {
		const scripts = performance
			.getEntriesByType('resource')
			.filter((entry) => /\.js(\?|$)/.test(entry.name)) as PerformanceResourceTiming[];
		const kb = (bytes: number): number => Math.round(bytes / 102.4) / 10;
		return {
			files: scripts.length,
			transferredKb: kb(scripts.reduce((sum, entry) => sum + entry.encodedBodySize, 0)),
			decodedKb: kb(scripts.reduce((sum, entry) => sum + entry.decodedBodySize, 0)),
			paths: scripts.map((entry) => new URL(entry.name).pathname)
		};
	});
	const gzip = sent.paths.reduce(
		(sum, path) => sum + statSync(join(ROOT, 'build', 'client', `${path}.gz`)).size,
		0
	);
	return {
		files: sent.files,
		transferredKb: sent.transferredKb,
		decodedKb: sent.decodedKb,
		gzipKb: Math.round(gzip / 102.4) / 10
	};
}

async function firstContentfulPaint(page: Page): Promise<number> {
	const handle = await page.waitForFunction(
		() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? false,
		undefined,
		{ polling: 50, timeout: 30_000 }
	);
	const fcp = round((await handle.jsonValue()) as number);
	// Where the time before the paint went: the HTML's first and last byte, its stylesheets.
	const steps = await page.evaluate(() => {
		const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
		const css = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
			.filter((entry) => entry.name.endsWith('.css'))
			.map((entry) => Math.round(entry.responseEnd));
		return {
			htmlFirstByte: Math.round(nav?.responseStart ?? NaN),
			htmlLastByte: Math.round(nav?.responseEnd ?? NaN),
			workerStart: Math.round(nav?.workerStart ?? NaN),
			cssDone: css.length > 0 ? Math.max(...css) : null
		};
	});
	console.log(`room-open: home FCP ${fcp} ms, before it ${JSON.stringify(steps)}`);
	return fcp;
}

interface RunResult {
	readonly firstOpen: Timed;
	readonly reopen: Timed;
	readonly homeFcpColdMs: number;
	readonly homeFcpWarmMs: number;
	readonly scripts: ScriptBytes;
}

async function oneRun(
	browser: Awaited<ReturnType<typeof launchChromium>>,
	serverUrl: string,
	cookie: string,
	userId: string,
	roomId: string,
	profile: boolean
): Promise<RunResult> {
	const url = `${serverUrl}/rooms/${roomId}`;
	const rooms = await signedInContext(browser, serverUrl, cookie);
	let first: Timed;
	let reopen: Timed;
	let scripts: ScriptBytes;
	try {
		const opened = await openRoom(rooms, url, profile ? 'room-open-first' : null);
		first = opened.timed;
		scripts = await scriptBytes(opened.page);
		await opened.page.waitForFunction(
			replicaHoldsText,
			{ name: `parley:${userId}:${roomId}`, text: latestText },
			{ polling: 100, timeout: 60_000 }
		);
		// A returning visitor's pages are the service worker's: wait until it is installed (its
		// precache filled) and active, or the reopen would race its install and take the plain
		// HTTP path, as the bench's reopen did before.
		await opened.page.evaluate(async () => {
			const registration = await navigator.serviceWorker.ready;
			if (!registration.active) throw new Error('no active service worker');
		});
		await opened.page.close();
		const again = await openRoom(rooms, url, profile ? 'room-open-reopen' : null);
		reopen = again.timed;
		await again.page.close();
	} finally {
		await rooms.close();
	}

	const home = await signedInContext(browser, serverUrl, cookie);
	try {
		const page = await home.newPage();
		await page.goto(serverUrl);
		const cold = await firstContentfulPaint(page);
		await page.reload();
		const warm = await firstContentfulPaint(page);
		return { firstOpen: first, reopen, homeFcpColdMs: cold, homeFcpWarmMs: warm, scripts };
	} finally {
		await home.close();
	}
}

function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export async function runRoomOpen(options: { runs: number }): Promise<Row[]> {
	const dataDir = makeTempDir('parley-room-open-');
	const browser = await launchChromium();
	try {
		const seeded = await seed(dataDir, { users: 4, rooms: 1, membersOf: () => [0, 1, 2, 3] });
		const roomId = seeded.rooms[0] ?? '';
		const user = seeded.users[0];
		if (!user) throw new Error('no user');
		await storeSnapshot(
			dataDir,
			roomId,
			buildHistory(
				MESSAGES,
				seeded.users.map((u) => u.id),
				'',
				// Signed as clients write now (each shown signature verified on every open).
				SIGNED ? { roomId, signers: seeded.users.map((u) => u.signer) } : undefined
			)
		);
		const server = await startParley(dataDir);
		const runs: RunResult[] = [];
		try {
			// A running server has rendered these pages before: the first render after a start
			// (modules loaded, code not yet optimized) is not what a visitor meets.
			for (let i = 0; i < 5; i++) {
				for (const path of ['/', `/rooms/${roomId}`]) {
					const response = await fetch(new URL(path, server.url), {
						headers: { cookie: user.cookie }
					});
					if (!response.ok) throw new Error(`warm-up ${path}: ${response.status}`);
					await response.arrayBuffer();
				}
			}
			for (let run = 0; run < options.runs; run++) {
				const result = await oneRun(
					browser,
					server.url,
					user.cookie,
					user.id,
					roomId,
					PROFILE && run === 0
				);
				console.log(
					`room-open: milestones (html, DOMContentLoaded, load, latest) first ${JSON.stringify(result.firstOpen)} reopen ${JSON.stringify(result.reopen)}`
				);
				console.log(
					`room-open: first ${result.firstOpen.ms} ms (CPU ${result.firstOpen.renderer.cpu} ms), reopen ${result.reopen.ms} ms (CPU ${result.reopen.renderer.cpu} ms), home FCP ${result.homeFcpColdMs} / ${result.homeFcpWarmMs} ms, JS ${result.scripts.transferredKb} KB sent (gzip ${result.scripts.gzipKb} KB) of ${result.scripts.decodedKb} KB; load ${loadavg()
						.map((l) => l.toFixed(2))
						.join(' ')}`
				);
				runs.push(result);
			}
		} finally {
			await server.stop();
		}
		await writeSummary(runs);
		return toRows(runs);
	} finally {
		await browser.close();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

function toRows(runs: readonly RunResult[]): Row[] {
	const measure = (
		config: string,
		values: readonly number[],
		target: number,
		extra: Row['extra'] = {}
	): Row =>
		row({
			scenario: 'room-open',
			server: 'parley',
			config,
			deliveries: values.length,
			deliveriesPerSecond: NaN,
			p50Ms: round(median(values)),
			p99Ms: NaN,
			maxMs: round(Math.max(...values)),
			lost: 0,
			cpuMicrosPerDelivery: NaN,
			rssMb: NaN,
			extra: { runs: values.map((v) => Math.round(v)).join('/'), target, ...extra }
		});
	const scripts = runs[0]?.scripts;
	const rows = [
		measure(
			`first open, ${MESSAGES} messages (ms)`,
			runs.map((r) => r.firstOpen.ms),
			TARGETS.firstOpenMs,
			{ rendererCpuMs: median(runs.map((r) => r.firstOpen.renderer.cpu)) }
		),
		measure(
			'reopen from the local replica (ms)',
			runs.map((r) => r.reopen.ms),
			TARGETS.reopenMs,
			{ rendererCpuMs: median(runs.map((r) => r.reopen.renderer.cpu)) }
		),
		measure(
			'home page FCP, fresh browser (ms)',
			runs.map((r) => r.homeFcpColdMs),
			TARGETS.homeFcpMs
		),
		measure(
			'home page FCP, reload (ms)',
			runs.map((r) => r.homeFcpWarmMs),
			TARGETS.homeFcpMs
		),
		measure(
			'room page JavaScript sent (KB)',
			runs.map((r) => r.scripts.transferredKb),
			TARGETS.roomJsKb,
			{
				decodedKb: scripts?.decodedKb ?? NaN,
				gzipKb: scripts?.gzipKb ?? NaN,
				files: scripts?.files ?? NaN
			}
		)
	];
	return rows;
}

/** bench/results/room-open.md: the table the figures are read from. */
async function writeSummary(runs: readonly RunResult[]): Promise<void> {
	const cell = (values: readonly number[], unit: string, target: number): string => {
		const m = median(values);
		return `**${m} ${unit}** (runs: ${values.join(', ')}; target ≤ ${target} ${unit}) ${m <= target ? '✓' : '✗'}`;
	};
	const cpuCell = (opens: readonly Timed[]): string => {
		const m = (pick: (r: RendererMs) => number): number =>
			median(opens.map((o) => pick(o.renderer)));
		return `${m((r) => r.cpu)} ms (${m((r) => r.script)} / ${m((r) => r.style)} / ${m((r) => r.layout)} ms)`;
	};
	const scripts = runs[0]?.scripts;
	const text = `# Opening pages in Chromium (bench/scenarios/room-open.ts)

\`npm run bench -- room-open\`. Room of ${MESSAGES.toLocaleString('en')} messages, Chromium headless, 1280×800, ${runs.length} runs, each in a fresh browser context. Measured ${new Date().toISOString()}, load average ${loadavg()
		.map((l) => l.toFixed(2))
		.join(
			' / '
		)} (2 cores, shared: wall times are stretched by the load; the renderer CPU time much less so).

| measure | median |
|---|---|
| first open (no replica, empty cache): latest message visible | ${cell(
		runs.map((r) => r.firstOpen.ms),
		'ms',
		TARGETS.firstOpenMs
	)} |
| … renderer main thread CPU (script / style / layout) | ${cpuCell(runs.map((r) => r.firstOpen))} |
| reopen (local replica, warm cache): latest message visible | ${cell(
		runs.map((r) => r.reopen.ms),
		'ms',
		TARGETS.reopenMs
	)} |
| … renderer main thread CPU (script / style / layout) | ${cpuCell(runs.map((r) => r.reopen))} |
| home page first contentful paint, fresh browser | ${cell(
		runs.map((r) => r.homeFcpColdMs),
		'ms',
		TARGETS.homeFcpMs
	)} |
| home page first contentful paint, reload | ${cell(
		runs.map((r) => r.homeFcpWarmMs),
		'ms',
		TARGETS.homeFcpMs
	)} |
| room page JavaScript as sent (brotli: Chromium on localhost; ${scripts?.files ?? 0} files; ${scripts?.decodedKb ?? 0} KB decoded; ${scripts?.gzipKb ?? 0} KB gzip) | ${cell(
		runs.map((r) => r.scripts.transferredKb),
		'KB',
		TARGETS.roomJsKb
	)} |
`;
	const dir = join(ROOT, 'bench', 'results');
	mkdirSync(dir, { recursive: true });
	// Formatted like the rest of the repository, so `npm run check` passes on committed results.
	const write = async (file: string, content: string): Promise<void> => {
		const options = (await prettier.resolveConfig(file)) ?? {};
		writeFileSync(file, await prettier.format(content, { ...options, filepath: file }));
	};
	await write(join(dir, 'room-open.md'), text);
	await write(
		join(dir, 'room-open.json'),
		JSON.stringify({
			measuredAt: new Date().toISOString(),
			loadavg: loadavg(),
			targets: TARGETS,
			runs
		})
	);
}
