/**
 * Presence: R rooms × 10 clients, every client publishing its awareness (typing on/off) at
 * 1 Hz, on Parley and the reference servers in the same run. Measured: the server's share of
 * one core, CPU per awareness update, and send -> receipt latency of every state at every
 * other member (the typing indicator).
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { meter, row, type Row } from '../lib/harness';
import { round, sleep, summarize } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross, type ClientSpec } from '../lib/workers';
import { openTarget, type Target } from './rooms';

const PER_ROOM = 10;
const HZ = 1;

async function measurePresence(
	target: Target,
	options: { rooms: number; durationMs: number }
): Promise<Row> {
	const { rooms } = options;
	const dataDir = makeTempDir('parley-bench-');
	const server = await openTarget(target, rooms, dataDir, {}, PER_ROOM);
	const workers = [new LoadWorker(), new LoadWorker()];
	try {
		// Rooms never straddle two workers: latencies are measured within one process.
		const clients: ClientSpec[] = [];
		for (let r = 0; r < rooms; r++) {
			for (let u = 0; u < PER_ROOM; u++) clients.push(server.client(r, u));
		}
		await openAcross(workers, clients, {
			origin: server.origin,
			sendStep1: false,
			reconnect: false,
			sampleEvery: 0,
			concurrency: 100
		});
		// Everyone's first state (claims, room awareness), then settle.
		await Promise.all(workers.map((w) => w.presence(HZ, 1_000)));
		await sleep(1_000);
		await Promise.all(workers.map((w) => w.reset()));
		const window = meter(server.pid);
		const started = performance.now();
		await Promise.all(workers.map((w) => w.presence(HZ, options.durationMs)));
		await sleep(500);
		const elapsedMs = performance.now() - started;
		const usage = window.stop();
		const final = await statsAcross(workers);
		const latency = summarize(final.latencies);
		const updates = rooms * PER_ROOM * HZ * (options.durationMs / 1000);
		const expected = updates * (PER_ROOM - 1);
		return row({
			scenario: 'presence',
			server: target,
			config: `${rooms} rooms x ${PER_ROOM} clients, awareness at ${HZ} Hz each, ${options.durationMs / 1000} s`,
			deliveries: final.latencies.length,
			deliveriesPerSecond: Math.round(final.latencies.length / (elapsedMs / 1000)),
			p50Ms: round(latency.p50),
			p99Ms: round(latency.p99),
			maxMs: round(latency.max),
			lost: Math.max(0, Math.round(expected - final.latencies.length)),
			cpuMicrosPerDelivery: round(usage.cpuMicros / Math.max(1, final.latencies.length)),
			rssMb: usage.rssMb,
			extra: {
				coreSharePct: round((usage.cpuMicros / (elapsedMs * 1000)) * 100, 1),
				cpuUsPerUpdate: round(usage.cpuMicros / Math.max(1, updates)),
				updates
			}
		});
	} finally {
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

export async function runPresence(options: {
	rooms: number;
	durationMs: number;
	targets?: readonly Target[];
}): Promise<Row[]> {
	const rows: Row[] = [];
	for (const target of options.targets ?? ['parley', 'y-websocket', 'hocuspocus']) {
		const result = await measurePresence(target, options);
		console.log(JSON.stringify(result));
		rows.push(result);
	}
	return rows;
}
