/**
 * (c) Durability: time from send to the server's STORED receipt (message type 100) at a
 * steady 1,000 messages/s, spread over 10 senders in one room (group commit at work), on
 * SQLite once per synchronous setting (SQLITE_SYNCHRONOUS=normal, the default, and full: the cost
 * of fsyncing every group commit) or (with `postgres`) on PostgreSQL, whose processes' CPU is
 * metered too. Commits/s and ms per commit come from the server's parley_store_commit_seconds
 * histogram.
 */
import { rmSync } from 'node:fs';
import type { PostgresHandle } from '../../tests/support/postgres';
import { makeTempDir } from '../../tests/support/server';
import { meter, row, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { cpuMicros, round, sleep, summarize, waitUntil } from '../lib/stats';

/** A process's CPU so far (0 once it is gone: a backend that exited). */
function processCpu(pid: number): number {
	try {
		return cpuMicros(pid);
	} catch {
		return 0;
	}
}

const SENDERS = 10;
/**
 * 9,000 messages in one room would pass SEAL_AFTER_MESSAGES (5,000) and the seal would close
 * the senders' sockets (4409) mid-run: this scenario measures the group commit, so it raises the
 * limit (and says so in its row); the cold scenario measures sealed rooms.
 */
const SEAL_AFTER_MESSAGES = '100000';

type Synchronous = 'normal' | 'full';

/** The group commits so far: count and total seconds (parley_store_commit_seconds). */
async function commits(metricsUrl: string): Promise<{ count: number; seconds: number }> {
	const text = await (await fetch(metricsUrl)).text();
	const value = (name: string): number =>
		Number(
			text
				.split('\n')
				.find((line) => line.startsWith(`${name} `))
				?.split(' ')[1] ?? NaN
		);
	return {
		count: value('parley_store_commit_seconds_count'),
		seconds: value('parley_store_commit_seconds_sum')
	};
}

interface DurabilityOptions {
	rate: number;
	durationMs: number;
	/** Run the server on this PostgreSQL (its processes metered too); default: SQLite. */
	postgres?: PostgresHandle;
}

export async function runDurability(options: DurabilityOptions): Promise<Row[]> {
	if (options.postgres) return [await runDurabilityWith('full', options)];
	const rows: Row[] = [];
	for (const synchronous of ['normal', 'full'] as const) {
		rows.push(await runDurabilityWith(synchronous, options));
	}
	return rows;
}

/** One run; `synchronous` is SQLite's setting (ignored on PostgreSQL). */
async function runDurabilityWith(
	synchronous: Synchronous,
	options: DurabilityOptions
): Promise<Row> {
	const dataDir = makeTempDir('parley-bench-');
	const databaseUrl = await options.postgres?.createDatabase();
	const seeded = await seed(
		dataDir,
		{
			users: SENDERS,
			rooms: 1,
			membersOf: () => Array.from({ length: SENDERS }, (_, i) => i)
		},
		{ databaseUrl }
	);
	const server = await startParley(dataDir, {
		SEAL_AFTER_MESSAGES,
		...(databaseUrl ? { DATABASE_URL: databaseUrl } : { SQLITE_SYNCHRONOUS: synchronous })
	});
	const database = databaseUrl
		? 'PostgreSQL (fsync on)'
		: `SQLite (WAL, SQLITE_SYNCHRONOUS=${synchronous})`;
	const senders = seeded.users.map(
		(user) => new Sender(`${server.syncUrl}/${seeded.rooms[0]}`, user.cookie, user.id, server.url)
	);
	try {
		for (const sender of senders) await sender.open();
		await drive(senders, options.rate, 1_000);
		await sleep(300);
		for (const sender of senders) sender.storedLatencies.length = 0;
		const window = meter(server.process.pid ?? 0);
		const pgPids = options.postgres?.pids() ?? [];
		const pgCpu = (): number => pgPids.reduce((sum, pid) => sum + processCpu(pid), 0);
		const pgBefore = pgCpu();
		const commitsBefore = await commits(server.metricsUrl);
		const started = performance.now();
		const sent = await drive(senders, options.rate, options.durationMs);
		await waitUntil(() => senders.every((s) => s.unstored === 0), 10_000, 'STORED receipts');
		const elapsedS = (performance.now() - started) / 1000;
		const usage = window.stop();
		const pgMicros = pgCpu() - pgBefore;
		const commitsAfter = await commits(server.metricsUrl);
		const commitCount = commitsAfter.count - commitsBefore.count;
		const latency = summarize(senders.flatMap((s) => s.storedLatencies));
		return row({
			scenario: 'durability',
			server: 'parley',
			config: `${database}: ${options.rate} msgs/s over ${SENDERS} senders in one room, ${options.durationMs / 1000} s, send -> STORED (SEAL_AFTER_MESSAGES=${SEAL_AFTER_MESSAGES})`,
			deliveries: latency.count,
			deliveriesPerSecond: Math.round(latency.count / elapsedS),
			p50Ms: round(latency.p50),
			p99Ms: round(latency.p99),
			maxMs: round(latency.max),
			lost: Math.max(0, sent - latency.count),
			cpuMicrosPerDelivery: round(usage.cpuMicros / Math.max(1, latency.count)),
			rssMb: usage.rssMb,
			extra: {
				sent,
				commits: commitCount,
				commitsPerSecond: round(commitCount / elapsedS, 1),
				msPerCommit: round(
					((commitsAfter.seconds - commitsBefore.seconds) * 1000) / Math.max(1, commitCount),
					3
				),
				...(databaseUrl
					? { pgCpuMicrosPerMessage: round(pgMicros / Math.max(1, latency.count)) }
					: {})
			}
		});
	} finally {
		for (const sender of senders) sender.close();
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
