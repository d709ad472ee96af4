/**
 * (e) The Redis hop: two Parley instances sharing DATA_DIR and one bus — a single Redis
 * (REDIS_URL) or a three-master Redis Cluster (REDIS_CLUSTER_NODES, sharded pub/sub). One
 * sender on A; receivers on A and on B. The hop is B's latency minus A's.
 */
import { rmSync } from 'node:fs';
import { startRedis } from '../../tests/support/redis';
import { startRedisCluster } from '../../tests/support/redis-cluster';
import { makeTempDir } from '../../tests/support/server';
import { row, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { round, sleep, summarize, waitUntil } from '../lib/stats';
import { LoadWorker } from '../lib/workers';

/** The bus under test: its environment for Parley, its name in the rows, how to stop it. */
interface BusUnderTest {
	readonly env: Readonly<Record<string, string>>;
	readonly name: string;
	stop(): Promise<void>;
}

async function startBus(kind: 'single' | 'cluster'): Promise<BusUnderTest> {
	if (kind === 'cluster') {
		const cluster = await startRedisCluster();
		return {
			env: { REDIS_CLUSTER_NODES: cluster.nodes },
			name: 'Redis Cluster (3 masters, SPUBLISH)',
			stop: () => cluster.stop()
		};
	}
	const redis = await startRedis();
	return { env: { REDIS_URL: redis.url }, name: 'Redis', stop: () => redis.stop() };
}

export async function runRedis(options: {
	receivers: number;
	rate: number;
	durationMs: number;
}): Promise<Row[]> {
	const rows: Row[] = [];
	for (const kind of ['single', 'cluster'] as const) rows.push(...(await runHop(kind, options)));
	return rows;
}

async function runHop(
	kind: 'single' | 'cluster',
	options: { receivers: number; rate: number; durationMs: number }
): Promise<Row[]> {
	const dataDir = makeTempDir('parley-bench-');
	const n = options.receivers;
	const seeded = await seed(dataDir, {
		users: 1 + 2 * n,
		rooms: 1,
		membersOf: () => Array.from({ length: 1 + 2 * n }, (_, i) => i)
	});
	const roomId = seeded.rooms[0] ?? '';
	const bus = await startBus(kind);
	const a = await startParley(dataDir, bus.env);
	const b = await startParley(dataDir, bus.env);
	const onA = new LoadWorker();
	const onB = new LoadWorker();
	const user = seeded.users[0];
	if (!user) throw new Error('no user');
	const sender = new Sender(`${a.syncUrl}/${roomId}`, user.cookie, user.id, a.url);
	try {
		const open = (worker: LoadWorker, server: typeof a, from: number): Promise<number> =>
			worker.open({
				origin: server.url,
				clients: seeded.users
					.slice(from, from + n)
					.map((u) => ({ url: `${server.syncUrl}/${roomId}`, cookie: u.cookie })),
				sendStep1: false,
				reconnect: false,
				sampleEvery: 1,
				concurrency: 20
			});
		await Promise.all([open(onA, a, 1), open(onB, b, 1 + n)]);
		await sender.open();
		await drive([sender], options.rate, 1_000);
		await sleep(500);
		await Promise.all([onA.reset(), onB.reset()]);
		const sent = await drive([sender], options.rate, options.durationMs);
		const expected = sent * n;
		await waitUntil(
			async () => {
				const [sa, sb] = await Promise.all([onA.stats(), onB.stats()]);
				const got = (s: typeof sa): number => s.messages.reduce((x, y) => x + y, 0);
				return got(sa) >= expected && got(sb) >= expected;
			},
			10_000,
			'deliveries on both instances'
		).catch(() => undefined);
		const [sa, sb] = await Promise.all([onA.stats(), onB.stats()]);
		const la = summarize(sa.latencies);
		const lb = summarize(sb.latencies);
		const make = (name: string, s: typeof sa, l: typeof la, extra: Record<string, number>): Row => {
			const delivered = s.messages.reduce((x, y) => x + y, 0);
			return row({
				scenario: 'redis',
				server: name,
				config: `sender on A, ${n} receivers, ${options.rate} msgs/s, ${options.durationMs / 1000} s`,
				deliveries: delivered,
				deliveriesPerSecond: Math.round(delivered / (options.durationMs / 1000)),
				p50Ms: round(l.p50),
				p99Ms: round(l.p99),
				maxMs: round(l.max),
				lost: Math.max(0, expected - delivered),
				cpuMicrosPerDelivery: NaN,
				rssMb: NaN,
				extra
			});
		};
		return [
			make(`parley A (same instance, ${bus.name})`, sa, la, {}),
			make(`parley B (via ${bus.name})`, sb, lb, {
				hopP50Ms: round(lb.p50 - la.p50),
				hopP99Ms: round(lb.p99 - la.p99)
			})
		];
	} finally {
		sender.close();
		await Promise.all([onA.close(), onB.close()]);
		await Promise.all([a.stop(), b.stop()]);
		await bus.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
