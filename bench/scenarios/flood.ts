/**
 * (h) Floods (issue 12): one user's sockets flood one room while an honest pair in ANOTHER room
 * exchanges messages. Per flood, a fresh server with the DEFAULT limits (not the bench's raised
 * ones): the honest pair's latency and losses, and how and when the flooder was closed. The
 * flooder runs in its own process (bench/lib/flooder.ts, at nice 19: on a shared 2-core machine
 * its busy loop would otherwise measure CPU contention, not the server) and reconnects whenever
 * it is closed, as an attacker would. The flooded room holds 2,000 messages (~2.2 MB) and 8 idle members,
 * so awareness has someone to be fanned out to.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, makeTempDir } from '../../tests/support/server';
import { readServerDb, storedRoomDoc } from '../../tests/support/stored';
import type { FloodResult, FloodSpec } from '../lib/flooder';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed, storeSnapshot } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { round, rssBytes, sleep, summarize, waitUntil } from '../lib/stats';
import { LoadWorker } from '../lib/workers';

/** The documented defaults (src/lib/server/config.ts), undoing the bench's raised limits. */
const DEFAULT_LIMITS: Readonly<Record<string, string>> = {
	UPDATES_PER_SECOND: '20',
	UPDATES_BURST: '60',
	MAX_CONNECTIONS_PER_USER: '50',
	USER_BUDGET_BYTES_PER_SECOND: '2000000',
	USER_BUDGET_BURST_BYTES: '16000000'
};
const HONEST_RATE = 20;
const IDLE_MEMBERS = 8;
const HISTORY = 2_000;
/** ~1 KB of text per message: a 2,000-message head of ~2.2 MB, as in the issue. */
const PAD = ' lorem'.repeat(170);

export interface FloodCase {
	readonly name: string;
	readonly spec: Omit<FloodSpec, 'url' | 'cookie' | 'origin' | 'userId' | 'durationMs'>;
	/** Sample the server's RSS before and after (and 2 s later). */
	readonly rss?: boolean;
}

export const FLOOD_CASES: readonly FloodCase[] = [
	{
		// The same machine and load without a flooder: the floor the rows below compare with.
		name: 'no flood (baseline)',
		spec: { kind: 'step1', sockets: 0, frames: 0, messagesPerUpdate: 0, ratePerSocket: 0 }
	},
	{
		name: 'step 1 flood, 8 sockets',
		spec: { kind: 'step1', sockets: 8, frames: 0, messagesPerUpdate: 0, ratePerSocket: 0 }
	},
	{
		name: 'awareness flood, 20,000 frames',
		spec: { kind: 'awareness', sockets: 1, frames: 20_000, messagesPerUpdate: 0, ratePerSocket: 0 }
	},
	{
		name: 'awareness clientID cycling, 100,000',
		spec: {
			kind: 'awareness-cycle',
			sockets: 1,
			frames: 200_000,
			messagesPerUpdate: 0,
			ratePerSocket: 0
		},
		rss: true
	},
	{
		name: 'messages flood, 1,000 per update',
		spec: { kind: 'messages', sockets: 1, frames: 0, messagesPerUpdate: 1_000, ratePerSocket: 0 }
	},
	{
		name: '48 sockets x 20 updates/s (within limits)',
		spec: { kind: 'steady', sockets: 48, frames: 0, messagesPerUpdate: 1, ratePerSocket: 20 }
	}
];

function runFlooder(spec: FloodSpec): Promise<FloodResult> {
	// At the lowest priority: an attacker floods from its own machine; on this 2-core box a
	// flooder spinning at full speed would otherwise take the server's CPU, not its sockets.
	const child = spawn(
		'nice',
		[
			'-n',
			'19',
			process.execPath,
			'--import',
			'tsx',
			join(ROOT, 'bench', 'lib', 'flooder.ts'),
			JSON.stringify(spec)
		],
		{ cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
	);
	let out = '';
	child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
	return new Promise((resolve, reject) => {
		child.once('exit', (code) => {
			const line = out.trim().split('\n').pop() ?? '';
			try {
				resolve(JSON.parse(line) as FloodResult);
			} catch {
				reject(new Error(`flooder exited ${code} without a result: ${out.slice(0, 200)}`));
			}
		});
	});
}

function mb(bytes: number): number {
	return round(bytes / (1024 * 1024), 1);
}

export async function runCase(c: FloodCase, durationMs: number): Promise<Row> {
	const dataDir = makeTempDir('parley-bench-');
	// Users: 0 and 1 the honest pair, 2 the flooder, then the flooded room's idle members.
	const seeded = await seed(dataDir, {
		users: 3 + IDLE_MEMBERS,
		rooms: 2,
		membersOf: (r) =>
			r === 0 ? [0, 1] : [2, ...Array.from({ length: IDLE_MEMBERS }, (_, i) => 3 + i)]
	});
	const [quietRoom = '', floodedRoom = ''] = seeded.rooms;
	const [alice, bob, mallory] = seeded.users;
	if (!alice || !bob || !mallory) throw new Error('seeding failed');
	await storeSnapshot(dataDir, floodedRoom, buildHistory(HISTORY, [mallory.id], PAD));
	const server = await startParley(dataDir, DEFAULT_LIMITS);
	const pid = server.process.pid ?? 0;
	const receiver = new LoadWorker();
	const idle = new LoadWorker();
	const sender = new Sender(`${server.syncUrl}/${quietRoom}`, alice.cookie, alice.id, server.url);
	try {
		await receiver.open({
			origin: server.url,
			clients: [{ url: `${server.syncUrl}/${quietRoom}`, cookie: bob.cookie }],
			sendStep1: false,
			reconnect: false,
			sampleEvery: 1,
			concurrency: 1
		});
		await idle.open({
			origin: server.url,
			clients: seeded.users
				.slice(3)
				.map((u) => ({ url: `${server.syncUrl}/${floodedRoom}`, cookie: u.cookie })),
			sendStep1: true,
			reconnect: false,
			sampleEvery: 0,
			concurrency: IDLE_MEMBERS
		});
		await sender.open();
		await drive([sender], HONEST_RATE, 1_000);
		await sleep(500);
		await receiver.reset();
		await idle.reset();
		const rssBefore = rssBytes(pid);
		const flood = runFlooder({
			...c.spec,
			url: `${server.syncUrl}/${floodedRoom}`,
			cookie: mallory.cookie,
			origin: server.url,
			userId: mallory.id,
			durationMs
		});
		const sent = await drive([sender], HONEST_RATE, durationMs);
		const result = await flood;
		const rssAfter = rssBytes(pid);
		await waitUntil(
			async () => (await receiver.stats()).messages.reduce((a, b) => a + b, 0) >= sent,
			10_000,
			'the honest messages'
		).catch(() => undefined);
		const stats = await receiver.stats();
		const idleStats = await idle.stats();
		const delivered = stats.messages.reduce((a, b) => a + b, 0);
		const latency = summarize(stats.latencies);
		await sleep(2_000);
		const rssSettled = rssBytes(pid);
		const seals = readServerDb(
			dataDir,
			(db) =>
				db
					.prepare<[string], { n: number }>(
						'SELECT COUNT(*) AS n FROM room_epochs WHERE room_id = ?'
					)
					.get(floodedRoom)?.n ?? 0
		);
		const stored = storedRoomDoc(dataDir, floodedRoom);
		const storedMessages = stored.getArray('messages').length - HISTORY;
		stored.destroy();
		const closes =
			Object.entries(result.closes)
				.map(([code, n]) => `${code}x${n}`)
				.join(' ') || 'none';
		return row({
			scenario: 'flood',
			server: 'parley',
			config: `${c.name}, ${durationMs / 1000} s, default limits; honest pair in another room at ${HONEST_RATE} msgs/s`,
			deliveries: delivered,
			deliveriesPerSecond: Math.round(delivered / (durationMs / 1000)),
			p50Ms: round(latency.p50),
			p99Ms: round(latency.p99),
			maxMs: round(latency.max),
			lost: Math.max(0, sent - delivered),
			cpuMicrosPerDelivery: NaN,
			rssMb: mb(rssAfter),
			extra: {
				honestSent: sent,
				flooderCloses: closes,
				firstCloseMs: result.firstCloseMs,
				flooderConnections: result.connections,
				flooderFrames: result.framesSent,
				flooderMbIn: mb(result.bytesSent),
				flooderMbOut: mb(result.bytesReceived),
				...(c.spec.kind === 'messages' || c.spec.kind === 'steady'
					? {
							flooderMessagesSent: result.messagesSent,
							flooderMessagesStored: storedMessages,
							seals
						}
					: {}),
				idleMembersFrames: idleStats.frames,
				...(c.rss
					? { rssBeforeMb: mb(rssBefore), rssAfterMb: mb(rssAfter), rssSettledMb: mb(rssSettled) }
					: {})
			}
		});
	} finally {
		sender.close();
		await Promise.all([receiver.close(), idle.close()]);
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

export async function runFlood(options: { durationMs: number }): Promise<Row[]> {
	const rows: Row[] = [];
	for (const c of FLOOD_CASES) rows.push(await runCase(c, options.durationMs));
	return rows;
}
