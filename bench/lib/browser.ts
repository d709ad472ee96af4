/**
 * What the browser benches share (long-room.ts, scenarios/room-open.ts): Debian's Chromium
 * through playwright-core, a signed-in context, the moment a message is visible, and a CPU
 * profile's heaviest functions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/lib/server/session';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/support/chromium';
import { ROOT } from '../../tests/support/server';

export async function launchChromium(): Promise<Browser> {
	return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}

/** A fresh context (empty cache and storage) signed in with `cookie` (a Cookie header value). */
export async function signedInContext(
	browser: Browser,
	baseUrl: string,
	cookie: string,
	viewport = { width: 1280, height: 800 }
): Promise<BrowserContext> {
	const context = await browser.newContext({ viewport });
	const token = cookie.slice(SESSION_COOKIE.length + 1);
	await context.addCookies([{ name: SESSION_COOKIE, value: token, url: baseUrl }]);
	// tsx names inner functions with an __name helper that the page does not have.
	await context.addInitScript('globalThis.__name = (fn) => fn;');
	return context;
}

/**
 * Waits until a log item containing `text` is inside the viewport; resolves with the page's
 * `performance.now()` then (ms since the navigation started).
 */
export async function visibleAt(page: Page, text: string): Promise<number> {
	const handle = await page.waitForFunction(
		(wanted) => {
			for (const item of document.querySelectorAll('[role="log"] li')) {
				if (!item.textContent?.includes(wanted)) continue;
				const box = item.getBoundingClientRect();
				if (box.bottom > 0 && box.top < window.innerHeight) return performance.now();
			}
			return false;
		},
		text,
		{ polling: 'raf', timeout: 60_000 }
	);
	return (await handle.jsonValue()) as number;
}

interface ProfileNode {
	readonly id: number;
	readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
	readonly nodes: readonly ProfileNode[];
	readonly samples?: readonly number[];
	readonly timeDeltas?: readonly number[];
}

/**
 * Runs `work` in `page` under the CDP sampling profiler, writes the profile to
 * bench/results/profiles/<name>.cpuprofile (open it in Chrome DevTools) and prints the
 * heaviest functions by self time.
 */
export async function profileInPage(
	context: BrowserContext,
	page: Page,
	name: string,
	work: () => Promise<void>
): Promise<void> {
	const cdp = await context.newCDPSession(page);
	await cdp.send('Profiler.enable');
	await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
	await cdp.send('Profiler.start');
	await work();
	const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
	const dir = join(ROOT, 'bench', 'results', 'profiles');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
	const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
	const deltas = profile.timeDeltas ?? [];
	const byFunction = new Map<string, number>();
	(profile.samples ?? []).forEach((id, i) => {
		const frame = nodes.get(id)?.callFrame;
		if (!frame) return;
		const file = frame.url.split('/').at(-1) ?? '';
		const key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
	});
	const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25);
	console.log(`${name}: heaviest functions (self time):`);
	for (const [fn, ms] of top) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${fn}`);
}

/** Trace categories that show the renderer's main thread: tasks, parsing, style, layout, paint. */
const TRACE_CATEGORIES = [
	'devtools.timeline',
	'disabled-by-default-devtools.timeline',
	'blink.user_timing',
	'loading',
	'v8.execute',
	'ServiceWorker',
	'navigation',
	'toplevel'
];

/**
 * Runs `work` under a Chromium trace of `page` and writes it to
 * bench/results/profiles/<name>.trace.json (open it in DevTools' Performance panel): what the
 * sampling profiler calls "(program)" (HTML parsing, style, layout, paint) shows there by name.
 */
export async function traceInPage(
	browser: Browser,
	page: Page,
	name: string,
	work: () => Promise<void>
): Promise<void> {
	await browser.startTracing(page, { categories: TRACE_CATEGORIES });
	await work();
	const trace = await browser.stopTracing();
	const dir = join(ROOT, 'bench', 'results', 'profiles');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, `${name}.trace.json`), trace);
}
