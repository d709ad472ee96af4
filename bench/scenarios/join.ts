/**
 * Join storm: C clients open ONE room holding a full head (5,000 messages) at once, each
 * asking for everything (empty step 1), while R other rooms of 5 clients exchange 1 msg/s
 * each. Measured: time until every joiner holds the whole head, the server's peak RSS, and
 * the other rooms' latency meanwhile.
 */
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { createSearchIndexer } from '../../sync-server/search-indexer';
import { makeTempDir } from '../../tests/support/server';
import { storeAsSnapshot, withServerStorage } from '../../tests/support/stored';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { round, sleep, summarize, waitUntil, watchPeakRss } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross, type ClientSpec } from '../lib/workers';

const HEAD = 5_000;
const PER_ROOM = 5;

export async function runJoin(options: { joiners: number; otherRooms: number }): Promise<Row[]> {
	const { joiners, otherRooms } = options;
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: joiners + otherRooms * PER_ROOM,
		rooms: 1 + otherRooms,
		membersOf: (r) =>
			r === 0
				? Array.from({ length: joiners }, (_, i) => i)
				: Array.from({ length: PER_ROOM }, (_, i) => joiners + (r - 1) * PER_ROOM + i)
	});
	const bigRoom = seeded.rooms[0] ?? '';
	await withServerStorage(dataDir, async (storage) => {
		const authors = seeded.users.slice(0, 20).map((u) => u.id);
		const history = buildHistory(HEAD - 1, authors);
		await storeAsSnapshot(storage.roomLog, bigRoom, history);
		// Indexed for search, as a room the server wrote is: no rebuild on its first load.
		const doc = new Y.Doc();
		Y.applyUpdate(doc, history);
		await createSearchIndexer(storage.search).reindexRoom(bigRoom, doc);
	});
	const server = await startParley(dataDir);
	const pid = server.process.pid ?? 0;
	const others = [new LoadWorker()];
	const storm = [new LoadWorker()];
	const senders: Sender[] = [];
	try {
		const receivers: ClientSpec[] = [];
		for (let r = 1; r <= otherRooms; r++) {
			for (let u = 1; u < PER_ROOM; u++) {
				const user = seeded.users[joiners + (r - 1) * PER_ROOM + u];
				if (user)
					receivers.push({ url: `${server.syncUrl}/${seeded.rooms[r]}`, cookie: user.cookie });
			}
		}
		await openAcross(others, receivers, {
			origin: server.url,
			sendStep1: false,
			reconnect: false,
			sampleEvery: 1,
			concurrency: 100
		});
		for (let r = 1; r <= otherRooms; r++) {
			const user = seeded.users[joiners + (r - 1) * PER_ROOM];
			if (!user) continue;
			const sender = new Sender(
				`${server.syncUrl}/${seeded.rooms[r]}`,
				user.cookie,
				user.id,
				server.url
			);
			await sender.open();
			senders.push(sender);
		}
		await drive(senders, otherRooms, 1_000);
		await sleep(500);
		await Promise.all(others.map((w) => w.reset()));
		const peak = watchPeakRss(pid);
		const traffic = drive(senders, otherRooms, 8_000);
		await sleep(1_000);
		const t0 = performance.now();
		const joining = openAcross(
			storm,
			seeded.users
				.slice(0, joiners)
				.map((u) => ({ url: `${server.syncUrl}/${bigRoom}`, cookie: u.cookie })),
			{
				origin: server.url,
				sendStep1: true,
				reconnect: false,
				sampleEvery: 0,
				concurrency: joiners
			}
		);
		await waitUntil(
			async () => {
				const s = await statsAcross(storm);
				return s.clients >= joiners && s.synced >= joiners;
			},
			60_000,
			'every joiner synced',
			20
		);
		const allSyncedMs = performance.now() - t0;
		const failed = (await joining).reduce((a, b) => a + b, 0);
		const joined = await statsAcross(storm);
		const short = joined.step2Messages.filter((n) => n < HEAD - 1).length;
		await traffic;
		await sleep(500);
		const peakRss = peak.stop();
		const latency = summarize((await statsAcross(others)).latencies);
		return [
			row({
				scenario: 'join',
				server: 'parley',
				config: `${joiners} clients open a room with a ${HEAD}-message head at once; ${otherRooms} other rooms x ${PER_ROOM} at 1 msg/s`,
				deliveries: 0,
				deliveriesPerSecond: Number.NaN,
				p50Ms: round(latency.p50),
				p99Ms: round(latency.p99),
				maxMs: round(latency.max),
				lost: short + failed,
				cpuMicrosPerDelivery: Number.NaN,
				rssMb: round(peakRss / (1024 * 1024), 1),
				extra: {
					allSyncedMs: Math.round(allSyncedMs),
					joinersShortOfHead: short,
					failedToOpen: failed
				}
			})
		];
	} finally {
		for (const sender of senders) sender.close();
		await Promise.all([...others, ...storm].map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
