/**
 * Encrypted rooms (docs/design.md "Encrypted rooms"): the time to encrypt and to decrypt one
 * message in the browser (Debian's Chromium, the very module the app bundles:
 * src/lib/protocol/sender-keys.ts, built by Vite into one script) and in Node for comparison.
 * Per operation: p50 / p99 / max over `messages` messages of a 200-character text, each in a
 * session of up to 100 (SESSION_MAX_MESSAGES): a reader ratchets from the session's start, as a
 * member who got the key at index 0 does, so a decrypt includes 0–99 HMAC steps.
 */
import { join } from 'node:path';
import { build } from 'vite';
import { ROOT } from '../../tests/support/server';
import { launchChromium } from '../lib/browser';
import { row, type Row } from '../lib/harness';
import { round, summarize } from '../lib/stats';

/** The measuring loop, run as is in the page and in Node (`sk` is sender-keys.ts). */
interface Timings {
	encrypt: number[];
	decrypt: number[];
}

type SenderKeys = typeof import('../../src/lib/protocol/sender-keys');

async function measure(sk: SenderKeys, messages: number): Promise<Timings> {
	const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
	const text = 'x'.repeat(150) + ' the quick brown fox jumps over the lazy dog';
	const timings: Timings = { encrypt: [], decrypt: [] };
	let start = sk.createSession(random(48));
	let state = start;
	const sent: { enc: string; id: string; start: typeof start }[] = [];
	for (let i = 0; i < messages; i++) {
		if (state.index >= sk.SESSION_MAX_MESSAGES) state = start = sk.createSession(random(48));
		const id = `message-${i}`;
		const t0 = performance.now();
		const { enc, next } = sk.encryptItem(
			state,
			{ roomId: 'room', kind: 'message', itemId: id, author: 'alice' },
			// payload.ts's encodePayload, inline: the page gets sender-keys.ts alone.
			new TextEncoder().encode(JSON.stringify({ text })),
			random(24)
		);
		timings.encrypt.push(performance.now() - t0);
		sent.push({ enc, id, start });
		state = next;
	}
	for (const { enc, id, start } of sent) {
		const t0 = performance.now();
		const opened = sk.decryptItem(
			start,
			{ roomId: 'room', kind: 'message', itemId: id, author: 'alice' },
			enc
		);
		timings.decrypt.push(performance.now() - t0);
		if (!opened.ok) throw new Error('decrypt failed');
	}
	return timings;
}

async function bundle(): Promise<string> {
	const output = await build({
		configFile: false,
		logLevel: 'silent',
		build: {
			write: false,
			minify: true,
			lib: {
				entry: join(ROOT, 'src/lib/protocol/sender-keys.ts'),
				formats: ['iife'],
				name: 'SenderKeys'
			}
		}
	});
	const results = Array.isArray(output) ? output : [output];
	for (const result of results) {
		if ('output' in result) {
			const chunk = result.output.find((item) => item.type === 'chunk');
			if (chunk && 'code' in chunk) return chunk.code;
		}
	}
	throw new Error('no bundle');
}

function rowsOf(where: string, timings: Timings): Row[] {
	return (['encrypt', 'decrypt'] as const).map((op) => {
		const stats = summarize(timings[op]);
		const mean = timings[op].reduce((sum, t) => sum + t, 0) / timings[op].length;
		return row({
			scenario: 'crypto',
			server: where,
			config: `${op} one 200-char message`,
			deliveries: timings[op].length,
			deliveriesPerSecond: round(1000 / Math.max(mean, 1e-6), 0),
			p50Ms: round(stats.p50, 3),
			p99Ms: round(stats.p99, 3),
			maxMs: round(stats.max, 3),
			lost: 0,
			cpuMicrosPerDelivery: round(mean * 1000, 1),
			rssMb: 0,
			extra: {}
		});
	});
}

export async function runCrypto(options: { messages: number }): Promise<Row[]> {
	const code = await bundle();
	const browser = await launchChromium();
	let inBrowser: Timings;
	try {
		const page = await browser.newPage();
		await page.setContent('<!doctype html><title>crypto bench</title>');
		// tsx names functions with a helper (`__name`) the page lacks: the identity does.
		await page.addScriptTag({ content: `globalThis.__name = (f) => f;\n${code}` });
		inBrowser = await page.evaluate(
			async ({ source, messages }) => {
				const sk = (globalThis as unknown as { SenderKeys: SenderKeys }).SenderKeys;
				// The same loop as in Node, shipped as its source.
				const run = new Function('return ' + source)() as typeof measure;
				return run(sk, messages);
			},
			{ source: measure.toString(), messages: options.messages }
		);
	} finally {
		await browser.close();
	}
	const inNode = await measure(
		await import('../../src/lib/protocol/sender-keys'),
		options.messages
	);
	return [...rowsOf('chromium', inBrowser), ...rowsOf('node', inNode)];
}
