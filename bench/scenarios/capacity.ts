/**
 * Issue 17's "highest sustained rate of stored messages on one instance in many small rooms,
 * with p99 ≤ 100 ms": R rooms × 5 clients (1 sender + 4 receivers each, as `rooms`), the
 * total rate raised step by step (`BENCH_RATES`, msgs/s), each step `durationMs` long. A step
 * holds when every message reached every receiver and the p99 from send to receipt is within
 * `P99_BUDGET_MS`; the answer is the highest step that held before the first that did not.
 * Each step's row gives the server's share of a core: a step that fails with the server below
 * one core was limited by the load generator on the same machine, not by the server.
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { deliveryRow, meter, row, type Row } from '../lib/harness';
import { Sender, drive } from '../lib/sender';
import { round, sleep, summarize, waitUntil } from '../lib/stats';
import { LoadWorker, statsAcross } from '../lib/workers';
import { PER_ROOM, openReceivers, openTarget } from './rooms';

export const P99_BUDGET_MS = 100;
const DEFAULT_RATES = [1_000, 1_500, 2_000, 2_500, 3_000, 3_500, 4_000, 5_000];

/** The steps to run: `BENCH_RATES=1000,2000,…` or the default ladder. */
function ratesFromEnv(): number[] {
	const given = (process.env.BENCH_RATES ?? '')
		.split(',')
		.map(Number)
		.filter((rate) => Number.isFinite(rate) && rate > 0);
	return given.length > 0 ? given : DEFAULT_RATES;
}

export async function runCapacity(options: { rooms: number; durationMs: number }): Promise<Row[]> {
	const { rooms, durationMs } = options;
	const rates = ratesFromEnv();
	const dataDir = makeTempDir('parley-bench-');
	const server = await openTarget('parley', rooms, dataDir);
	const workers = [new LoadWorker(), new LoadWorker()];
	const senders: Sender[] = [];
	const rows: Row[] = [];
	try {
		await openReceivers(server, rooms, workers);
		for (let r = 0; r < rooms; r++) {
			const c = server.client(r, 0);
			const sender = new Sender(c.url, c.cookie, c.userId, server.origin, c.docName);
			await sender.open();
			senders.push(sender);
		}
		// Every room loaded and its statements warm before the first step.
		await drive(senders, Math.min(rates[0] ?? rooms, rooms), 1_000);
		await sleep(1_000);
		let held: number | null = null;
		for (const rate of rates) {
			await Promise.all(workers.map((w) => w.reset()));
			const window = meter(server.pid);
			const started = performance.now();
			const sent = await drive(senders, rate, durationMs);
			const expected = sent * (PER_ROOM - 1);
			await waitUntil(
				async () => {
					const stats = await statsAcross(workers);
					return stats.messages.reduce((a, b) => a + b, 0) >= expected;
				},
				10_000,
				'capacity step drain'
			).catch(() => undefined);
			const elapsedMs = performance.now() - started;
			const usage = window.stop();
			const final = await statsAcross(workers);
			const delivered = final.messages.reduce((a, b) => a + b, 0);
			const latency = summarize(final.latencies);
			const holds = delivered >= expected && latency.p99 <= P99_BUDGET_MS;
			const step = deliveryRow({
				scenario: 'capacity',
				server: 'parley',
				config: `${rooms} rooms x ${PER_ROOM} clients, ${rate} msgs/s in all, ${durationMs / 1000} s`,
				delivered,
				expected,
				elapsedS: elapsedMs / 1000,
				latency,
				usage,
				extra: {
					sent,
					serverCorePct: round((usage.cpuMicros / (elapsedMs * 1000)) * 100, 1),
					cpuUsPerMsg: round(usage.cpuMicros / Math.max(1, sent)),
					holds: holds ? 'yes' : 'no'
				}
			});
			console.log(JSON.stringify(step));
			rows.push(step);
			if (!holds) break;
			held = rate;
			await sleep(1_000);
		}
		rows.push(
			row({
				scenario: 'capacity',
				server: 'parley',
				config: `highest sustained rate with every message delivered and p99 <= ${P99_BUDGET_MS} ms (msgs/s)`,
				deliveries: 0,
				deliveriesPerSecond: held ?? NaN,
				p50Ms: NaN,
				p99Ms: NaN,
				maxMs: NaN,
				lost: 0,
				cpuMicrosPerDelivery: NaN,
				rssMb: NaN,
				extra: {
					steps: rates.slice(0, rows.length).join('/'),
					ceiling:
						held === null
							? 'below the first step'
							: held === rates.at(-1)
								? 'not reached (add higher BENCH_RATES)'
								: 'reached'
				}
			})
		);
		return rows;
	} finally {
		for (const sender of senders) sender.close();
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
