/**
 * (g) Reconnect storm: C clients in R rooms (each room holding H messages) are synced; the
 * server restarts (SIGTERM: they all get 1012); they all reconnect at once. Measured: time
 * from the new process listening until every client is synced again, peak RSS, and that every
 * client's resync (step 2) holds all H messages.
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { storeAsSnapshot, withServerStorage } from '../../tests/support/stored';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed } from '../lib/seed';
import { round, waitUntil, watchPeakRss } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross, type WorkerStats } from '../lib/workers';

const HISTORY = 20;

export async function runStorm(options: { rooms: number; perRoom: number }): Promise<Row[]> {
	const { rooms, perRoom } = options;
	const n = rooms * perRoom;
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: n,
		rooms,
		membersOf: (r) => Array.from({ length: perRoom }, (_, i) => r * perRoom + i)
	});
	await withServerStorage(dataDir, async (storage) => {
		for (const [r, roomId] of seeded.rooms.entries()) {
			const authors = seeded.users.slice(r * perRoom, r * perRoom + 2).map((u) => u.id);
			await storeAsSnapshot(storage.roomLog, roomId, buildHistory(HISTORY, authors));
		}
	});
	let server = await startParley(dataDir);
	const workers = [new LoadWorker(), new LoadWorker()];
	try {
		const specs = seeded.users.map((u, i) => ({
			url: `${server.syncUrl}/${seeded.rooms[Math.floor(i / perRoom)]}`,
			cookie: u.cookie
		}));
		await openAcross(workers, specs, {
			origin: server.url,
			sendStep1: true,
			reconnect: true,
			sampleEvery: 0,
			concurrency: 100
		});
		const stats = (): Promise<WorkerStats> => statsAcross(workers);
		await waitUntil(async () => (await stats()).synced >= n, 60_000, 'first sync', 100);
		await server.stop();
		server = await server.restart(); // resolves when the new process is listening
		const peak = watchPeakRss(server.process.pid ?? 0);
		const t0 = performance.now();
		await waitUntil(
			async () => {
				const s = await stats();
				return s.synced >= n && s.open >= n;
			},
			60_000,
			'resync after restart',
			25
		);
		const resyncMs = performance.now() - t0;
		const final = await stats();
		const short = final.step2Messages.filter((m) => m !== HISTORY).length;
		return [
			row({
				scenario: 'storm',
				server: 'parley',
				config: `${n} clients in ${rooms} rooms (${HISTORY} messages each) reconnect after a restart`,
				deliveries: n,
				deliveriesPerSecond: NaN,
				p50Ms: NaN,
				p99Ms: NaN,
				maxMs: round(resyncMs),
				lost: short,
				cpuMicrosPerDelivery: NaN,
				rssMb: round(peak.stop() / (1024 * 1024), 1),
				extra: { allSyncedMs: Math.round(resyncMs), clientsShortOfHistory: short }
			})
		];
	} finally {
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
