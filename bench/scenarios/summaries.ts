/**
 * (j) The summary channel (issue 15), against the real program:
 * - `snapshot`: a fresh device's list: a user in 200 rooms (20 indexed messages each, a read mark
 *   in half of them) opens /sync/_summaries; time from the socket's creation to the snapshot
 *   with every count (server side included), N times.
 * - `unread`: a message sent in room A by one member, until the summary frame with it reaches
 *   another member's user socket (who is "looking at room B"); one instance, then two instances
 *   sharing DATA_DIR and Redis (sender on one, reader on the other).
 * The CPU cost per message is measured by the `rooms` scenario with and without user sockets
 * (`rooms-summaries`).
 */
import { rmSync } from 'node:fs';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { createSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { startRedis } from '../../tests/support/redis';
import { makeTempDir, type ServerHandle } from '../../tests/support/server';
import { openSummaries } from '../../tests/support/summary-client';
import { connectAs } from '../../tests/support/sync-client';
import { row, startParley, type Row } from '../lib/harness';
import { seed, type BenchUser } from '../lib/seed';
import { round, summarize } from '../lib/stats';

export const ROOMS = 200;
const MESSAGES_PER_ROOM = 20;

async function fillIndex(dataDir: string, rooms: readonly string[], users: readonly string[]) {
	const storage = createSqliteStorage(openDatabase(databaseFile(dataDir)));
	try {
		const ts = Date.now() - 60_000;
		await storage.search.writeIndex(
			rooms.map((roomId, r) => ({
				roomId,
				changes: [],
				messages: Array.from({ length: MESSAGES_PER_ROOM }, (_, i) => ({
					id: crypto.randomUUID(),
					author: users[i % users.length] ?? '',
					text: `message ${i} of room ${r} for @bench_0 maybe`,
					ts: ts + r * 100 + i
				}))
			}))
		);
	} finally {
		await storage.close();
	}
}

/**
 * A data directory where a user is in ROOMS rooms of MESSAGES_PER_ROOM indexed messages each
 * (half written by the other member): `user` is the one whose list is measured.
 */
export async function seedRoomList(): Promise<{ dataDir: string; user: BenchUser }> {
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: 2,
		rooms: ROOMS,
		membersOf: (r) => (r % 2 === 0 ? [0, 1] : [1, 0])
	});
	await fillIndex(
		dataDir,
		seeded.rooms,
		seeded.users.map((u) => u.id)
	);
	const user = seeded.users[0];
	if (!user) throw new Error('no user');
	return { dataDir, user };
}

async function snapshotRow(samples: number): Promise<Row> {
	const { dataDir, user } = await seedRoomList();
	const server = await startParley(dataDir);
	try {
		const times: number[] = [];
		for (let i = 0; i < samples; i++) {
			const started = performance.now();
			const client = openSummaries(server, user.cookie);
			await client.waitFor(() => (client.rooms()?.size ?? 0) === ROOMS, 'the snapshot', 30_000);
			times.push(performance.now() - started);
			client.close();
		}
		return latencyRow(
			`fresh device: snapshot of ${ROOMS} rooms x ${MESSAGES_PER_ROOM} messages, ${samples} connects`,
			times
		);
	} finally {
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** Message in room A by user 0 on `write`, until user 1's user socket on `read` shows it. */
async function unreadLatency(
	write: ServerHandle,
	read: ServerHandle,
	seeded: Awaited<ReturnType<typeof seed>>,
	samples: number
): Promise<number[]> {
	const [sender, reader] = seeded.users;
	const roomA = seeded.rooms[0];
	if (!sender || !reader || !roomA) throw new Error('seed');
	const client = connectAs({ cookie: sender.cookie, userId: sender.id }, write, roomA);
	const feed = openSummaries(read, reader.cookie);
	try {
		await client.waitFor(() => client.provider.synced, 30_000, 'sender synced');
		await feed.waitFor(() => feed.rooms() !== null, 'reader snapshot', 30_000);
		const times: number[] = [];
		for (let i = 0; i < samples; i++) {
			const started = performance.now();
			const message = client.send(`ping ${i}`);
			await feed.waitFor(
				() => feed.rooms()?.get(roomA)?.last?.id === message.id,
				'the unread message',
				30_000
			);
			times.push(performance.now() - started);
			// Spaced like people typing, so each sample is one message's path.
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		return times;
	} finally {
		client.destroy();
		feed.close();
	}
}

/** A row of latencies (`times`, ms) with no CPU or delivery figures. */
export function latencyRow(
	config: string,
	times: number[],
	scenario = 'summaries',
	extra: Row['extra'] = {}
): Row {
	const latency = summarize(times);
	return row({
		scenario,
		server: 'parley',
		config,
		deliveries: latency.count,
		deliveriesPerSecond: 0,
		p50Ms: round(latency.p50),
		p99Ms: round(latency.p99),
		maxMs: round(latency.max),
		lost: 0,
		cpuMicrosPerDelivery: 0,
		rssMb: 0,
		extra
	});
}

async function unreadRows(samples: number): Promise<Row[]> {
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, { users: 2, rooms: 2, membersOf: () => [0, 1] });
	const redis = await startRedis();
	const a = await startParley(dataDir, { REDIS_URL: redis.url });
	const b = await startParley(dataDir, { REDIS_URL: redis.url });
	try {
		return [
			latencyRow('message in room A -> unread on a member’s user socket, one instance', [
				...(await unreadLatency(a, a, seeded, samples))
			]),
			latencyRow('the same, sender and reader on two instances (Redis)', [
				...(await unreadLatency(a, b, seeded, samples))
			])
		];
	} finally {
		await a.stop();
		await b.stop();
		await redis.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

export async function runSummaries(options: { samples: number }): Promise<Row[]> {
	return [await snapshotRow(Math.min(options.samples, 30)), ...(await unreadRows(options.samples))];
}
