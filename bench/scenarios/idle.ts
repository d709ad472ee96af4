/**
 * (f) Idle connections: N synced, silent sockets (100 per room); the server's RSS per
 * connection is (RSS with them − RSS before) / N.
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { row, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { round, rssBytes, sleep, waitUntil } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross, type WorkerStats } from '../lib/workers';

const PER_ROOM = 100;

export async function runIdle(options: { sockets: number }): Promise<Row[]> {
	const n = options.sockets;
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: n,
		rooms: Math.ceil(n / PER_ROOM),
		membersOf: (r) =>
			Array.from({ length: PER_ROOM }, (_, i) => r * PER_ROOM + i).filter((i) => i < n)
	});
	const server = await startParley(dataDir);
	const pid = server.process.pid ?? 0;
	const workers = [new LoadWorker(), new LoadWorker()];
	try {
		await sleep(1_000);
		const before = rssBytes(pid);
		const specs = seeded.users.map((u, i) => ({
			url: `${server.syncUrl}/${seeded.rooms[Math.floor(i / PER_ROOM)]}`,
			cookie: u.cookie
		}));
		const t0 = performance.now();
		const failed = await openAcross(workers, specs, {
			origin: server.url,
			sendStep1: false,
			reconnect: false,
			sampleEvery: 0,
			concurrency: 100
		});
		const stats = (): Promise<WorkerStats> => statsAcross(workers);
		await waitUntil(async () => (await stats()).synced >= n, 60_000, 'idle sockets synced', 100);
		const openMs = performance.now() - t0;
		await sleep(2_000);
		const after = rssBytes(pid);
		const perConnectionKb = (after - before) / n / 1024;
		return [
			row({
				scenario: 'idle',
				server: 'parley',
				config: `${n} idle sockets, ${PER_ROOM} per room`,
				deliveries: 0,
				deliveriesPerSecond: NaN,
				p50Ms: NaN,
				p99Ms: NaN,
				maxMs: NaN,
				lost: failed.reduce((a, b) => a + b, 0),
				cpuMicrosPerDelivery: NaN,
				rssMb: round(after / (1024 * 1024), 1),
				extra: {
					rssBeforeMb: round(before / (1024 * 1024), 1),
					rssPerConnectionKb: round(perConnectionKb, 1),
					openAllMs: Math.round(openMs)
				}
			})
		];
	} finally {
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
