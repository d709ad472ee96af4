/**
 * (a) Fan-out: one room, N receivers, 4 senders at R messages/s — against Parley and against
 * the bare `ws` relay in the same run, so the ratio says what Parley's work costs.
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { deliveryRow, meter, startParley, startRelay, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { round, sleep, summarize, waitUntil } from '../lib/stats';
import {
	LoadWorker,
	openAcross,
	statsAcross,
	type ClientSpec,
	type WorkerStats
} from '../lib/workers';

const SENDERS = 4;
/** How long after the last send a run may take to deliver the rest. */
const DRAIN_MAX_MS = 30_000;
/** Sockets decoded fully for latency: about this many per run. */
const SAMPLED_SOCKETS = 16;

export interface FanoutCase {
	readonly receivers: number;
	readonly rate: number;
	readonly durationMs: number;
}

interface Target {
	readonly name: string;
	readonly pid: number;
	readonly origin: string;
	readonly roomUrl: string;
	readonly cookies: readonly string[];
	readonly userIds: readonly string[];
}

async function measure(target: Target, c: FanoutCase): Promise<Row> {
	const workerCount = c.receivers > 500 ? 2 : 1;
	const workers = Array.from({ length: workerCount }, () => new LoadWorker());
	const senders: Sender[] = [];
	try {
		const specs: ClientSpec[] = Array.from({ length: c.receivers }, (_, i) => ({
			url: target.roomUrl,
			cookie: target.cookies[SENDERS + i] ?? ''
		}));
		const failed = await openAcross(workers, specs, {
			origin: target.origin,
			sendStep1: false,
			reconnect: false,
			sampleEvery: Math.max(1, Math.floor(c.receivers / SAMPLED_SOCKETS)),
			concurrency: 100
		});
		if (failed.some((n) => n > 0)) throw new Error(`${target.name}: receivers failed to open`);
		for (let s = 0; s < SENDERS; s++) {
			const sender = new Sender(
				target.roomUrl,
				target.cookies[s] ?? '',
				target.userIds[s] ?? '',
				target.origin
			);
			await sender.open();
			senders.push(sender);
		}
		const stats = (): Promise<WorkerStats> => statsAcross(workers);
		// Warm up (JIT, buffers), let it drain, then count from zero.
		await drive(senders, c.rate, 1_000);
		await sleep(500);
		await Promise.all(workers.map((w) => w.reset()));
		const window = meter(target.pid);
		const started = performance.now();
		const sent = await drive(senders, c.rate, c.durationMs);
		const expected = sent * c.receivers;
		// Drain: until everything arrived, nothing more arrives for 2 s, or DRAIN_MAX_MS passed
		// (a server that fell that far behind has failed the case: what is missing counts as lost).
		let last = -1;
		let quietSince = performance.now();
		const drained = await waitUntil(
			async () => {
				const total = (await stats()).messages.reduce((a, b) => a + b, 0);
				if (total !== last) {
					last = total;
					quietSince = performance.now();
				}
				return total >= expected || performance.now() - quietSince > 2_000;
			},
			DRAIN_MAX_MS,
			'fan-out drain',
			50
		).then(
			() => true,
			() => false
		);
		const elapsedS = (performance.now() - started) / 1000;
		const usage = window.stop();
		const final = await stats();
		const delivered = final.messages.reduce((a, b) => a + b, 0);
		const latency = summarize(final.latencies);
		const denied = senders.flatMap((s) => s.denied);
		if (denied.length > 0) throw new Error(`${target.name}: the gate refused: ${denied[0]}`);
		return deliveryRow({
			scenario: 'fanout',
			server: target.name,
			config: `${c.receivers} receivers x ${c.rate} msgs/s, ${c.durationMs / 1000} s`,
			delivered,
			expected,
			elapsedS,
			latency,
			usage,
			extra: {
				sent,
				...(drained ? {} : { unfinishedAfterMs: DRAIN_MAX_MS }),
				frames: final.frames,
				messagesPerFrame: round(delivered / Math.max(1, final.frames)),
				latencySamples: latency.count
			}
		});
	} finally {
		for (const sender of senders) sender.close();
		await Promise.all(workers.map((w) => w.close()));
	}
}

export async function runFanoutCase(c: FanoutCase): Promise<Row[]> {
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: SENDERS + c.receivers,
		rooms: 1,
		membersOf: () => Array.from({ length: SENDERS + c.receivers }, (_, i) => i)
	});
	const roomId = seeded.rooms[0] ?? '';
	const cookies = seeded.users.map((u) => u.cookie);
	const userIds = seeded.users.map((u) => u.id);
	const rows: Row[] = [];
	const server = await startParley(dataDir);
	try {
		rows.push(
			await measure(
				{
					name: 'parley',
					pid: server.process.pid ?? 0,
					origin: server.url,
					roomUrl: `${server.syncUrl}/${roomId}`,
					cookies,
					userIds
				},
				c
			)
		);
	} finally {
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
	const relay = await startRelay();
	try {
		const relayRow = await measure(
			{
				name: 'ws relay',
				pid: relay.pid,
				origin: `http://localhost:${relay.port}`,
				roomUrl: `ws://localhost:${relay.port}/`,
				cookies,
				userIds
			},
			c
		);
		rows.push(relayRow);
		const parley = rows[0];
		if (parley) {
			rows[0] = {
				...parley,
				extra: {
					...parley.extra,
					cpuRatioToRelay: round(
						parley.cpuMicrosPerDelivery / Math.max(0.001, relayRow.cpuMicrosPerDelivery)
					)
				}
			};
		}
	} finally {
		await relay.stop();
	}
	return rows;
}
