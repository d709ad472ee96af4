/**
 * Memory per loaded room: R rooms of 5 members, each holding 100 messages; the server's RSS
 * with none loaded, then with every room loaded and its five sockets synced (full step 2),
 * then once every room has slept (ROOM_SLEEP_MS without use: only its encoded state kept).
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { storeAsSnapshot, withServerStorage } from '../../tests/support/stored';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed } from '../lib/seed';
import { round, rssBytes, sleep, waitUntil } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross } from '../lib/workers';

const PER_ROOM = 5;
const MESSAGES = 100;
/** ROOM_SLEEP_MS for the bench server: the rooms fall asleep this long after the sync. */
const SLEEP_MS = 10_000;

export async function runMemory(options: { rooms: number }): Promise<Row[]> {
	const { rooms } = options;
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: rooms * PER_ROOM,
		rooms,
		membersOf: (r) => Array.from({ length: PER_ROOM }, (_, i) => r * PER_ROOM + i)
	});
	await withServerStorage(dataDir, async (storage) => {
		for (const [r, roomId] of seeded.rooms.entries()) {
			const authors = seeded.users.slice(r * PER_ROOM, (r + 1) * PER_ROOM).map((u) => u.id);
			await storeAsSnapshot(storage.roomLog, roomId, buildHistory(MESSAGES, authors));
		}
	});
	const server = await startParley(dataDir, { ROOM_SLEEP_MS: String(SLEEP_MS) });
	const pid = server.process.pid ?? 0;
	const workers = [new LoadWorker(), new LoadWorker()];
	try {
		await sleep(2_000);
		const before = rssBytes(pid);
		const specs = seeded.users.map((u, i) => ({
			url: `${server.syncUrl}/${seeded.rooms[Math.floor(i / PER_ROOM)]}`,
			cookie: u.cookie
		}));
		await openAcross(workers, specs, {
			origin: server.url,
			sendStep1: true,
			reconnect: false,
			sampleEvery: 0,
			concurrency: 100
		});
		await waitUntil(
			async () => (await statsAcross(workers)).synced >= specs.length,
			120_000,
			'every socket synced',
			200
		);
		const synced = await statsAcross(workers);
		const short = synced.step2Messages.filter((n) => n < MESSAGES).length;
		await sleep(3_000);
		const after = rssBytes(pid);
		const perRoomKb = round((after - before) / rooms / 1024, 1);
		// Every room asleep (its timer re-checks at most SLEEP_MS after the last use).
		await sleep(2 * SLEEP_MS);
		const asleep = rssBytes(pid);
		return [
			row({
				scenario: 'memory',
				server: 'parley',
				config: `${rooms} rooms loaded, ${PER_ROOM} sockets and ${MESSAGES} messages each`,
				deliveries: 0,
				deliveriesPerSecond: Number.NaN,
				p50Ms: Number.NaN,
				p99Ms: Number.NaN,
				maxMs: Number.NaN,
				lost: short,
				cpuMicrosPerDelivery: Number.NaN,
				rssMb: round(after / (1024 * 1024), 1),
				extra: {
					rssBeforeMb: round(before / (1024 * 1024), 1),
					rssPerLoadedRoomKb: perRoomKb,
					rssAsleepMb: round(asleep / (1024 * 1024), 1),
					rssPerSleepingRoomKb: round((asleep - before) / rooms / 1024, 1)
				}
			})
		];
	} finally {
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
