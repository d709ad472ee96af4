/**
 * (k) Rooms loading on an instance that uses Redis (issue 17, "join storms"): U users, each with
 * a user socket open (the summary channel), and L rooms already loaded (one client each); then
 * N more rooms are opened one after the other, and each open is timed until its client is
 * synced. Reports the server's CPU per room load and the open's latency. What it watches: a
 * room's Redis subscription taking effect must cost that room one read back, not every loaded
 * room and every user socket of the instance.
 */
import { rmSync } from 'node:fs';
import { startRedis } from '../../tests/support/redis';
import { makeTempDir } from '../../tests/support/server';
import { openSummaries, type SummaryClient } from '../../tests/support/summary-client';
import { connectAs, type SyncClient } from '../../tests/support/sync-client';
import { meter, row, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { round, summarize } from '../lib/stats';

const MEMBERS = 5;

export async function runRoomLoads(options: {
	users: number;
	loaded: number;
	opened: number;
}): Promise<Row[]> {
	const { users, loaded, opened } = options;
	const dataDir = makeTempDir('parley-room-loads-');
	const rooms = loaded + opened;
	const seeded = await seed(dataDir, {
		users,
		rooms,
		membersOf: (r) => Array.from({ length: MEMBERS }, (_, i) => (r * MEMBERS + i) % users)
	});
	const redis = await startRedis();
	const server = await startParley(dataDir, { REDIS_URL: redis.url });
	const feeds: SummaryClient[] = [];
	const clients: SyncClient[] = [];
	const ownerOf = (r: number) => {
		const user = seeded.users[(r * MEMBERS) % users];
		if (!user) throw new Error('seed');
		return { cookie: user.cookie, userId: user.id };
	};
	try {
		for (const user of seeded.users) feeds.push(openSummaries(server, user.cookie));
		for (const feed of feeds) await feed.waitFor(() => feed.rooms() !== null, 'listed', 60_000);
		for (let r = 0; r < loaded; r++) {
			const roomId = seeded.rooms[r] ?? '';
			const client = connectAs(ownerOf(r), server, roomId);
			clients.push(client);
			await client.waitFor(() => client.provider.synced, 30_000, 'loaded room synced');
		}
		const times: number[] = [];
		const cpu = meter(server.process.pid ?? 0);
		for (let r = loaded; r < rooms; r++) {
			const started = performance.now();
			const client = connectAs(ownerOf(r), server, seeded.rooms[r] ?? '');
			clients.push(client);
			await client.waitFor(() => client.provider.synced, 30_000, 'new room synced');
			times.push(performance.now() - started);
		}
		// A whole-instance resync, if one was set off, runs after the sync: let it finish.
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		const used = cpu.stop();
		const latency = summarize(times);
		return [
			row({
				scenario: 'room-loads',
				server: 'parley',
				config: `${opened} rooms opened one by one on a Redis bus, ${users} user sockets and ${loaded} rooms loaded`,
				deliveries: opened,
				deliveriesPerSecond: 0,
				p50Ms: round(latency.p50),
				p99Ms: round(latency.p99),
				maxMs: round(latency.max),
				lost: 0,
				cpuMicrosPerDelivery: round(used.cpuMicros / opened),
				rssMb: used.rssMb,
				extra: { cpuMsPerRoomLoad: round(used.cpuMicros / opened / 1000) }
			})
		];
	} finally {
		for (const client of clients) client.destroy();
		for (const feed of feeds) feed.close();
		await server.stop();
		await redis.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
