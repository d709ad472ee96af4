/**
 * (b) Many rooms: R rooms × 5 clients (1 sender + 4 receivers each), 1 message/s per room.
 */
import { rmSync } from 'node:fs';
import { makeTempDir } from '../../tests/support/server';
import { deliveryRow, meter, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { sleep, summarize, waitUntil } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross, type WorkerStats } from '../lib/workers';

const PER_ROOM = 5;

/**
 * `signed`: every message is signed by its sender's device and the server runs with
 * REQUIRE_SIGNATURES=1 (gate rule 7 verifies each one).
 */
export async function runRooms(options: {
	rooms: number;
	durationMs: number;
	signed?: boolean;
}): Promise<Row[]> {
	const { rooms } = options;
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, {
		users: rooms * PER_ROOM,
		rooms,
		membersOf: (r) => Array.from({ length: PER_ROOM }, (_, i) => r * PER_ROOM + i)
	});
	const server = await startParley(dataDir, options.signed ? { REQUIRE_SIGNATURES: '1' } : {});
	const workers = [new LoadWorker(), new LoadWorker()];
	const senders: Sender[] = [];
	try {
		const receivers = seeded.users
			.map((u, i) => ({ u, i }))
			.filter(({ i }) => i % PER_ROOM !== 0)
			.map(({ u, i }) => ({
				url: `${server.syncUrl}/${seeded.rooms[Math.floor(i / PER_ROOM)]}`,
				cookie: u.cookie
			}));
		await openAcross(workers, receivers, {
			origin: server.url,
			sendStep1: false,
			reconnect: false,
			sampleEvery: 20,
			concurrency: 100
		});
		for (let r = 0; r < rooms; r++) {
			const user = seeded.users[r * PER_ROOM];
			if (!user) continue;
			const roomId = seeded.rooms[r] ?? '';
			const sender = new Sender(
				`${server.syncUrl}/${roomId}`,
				user.cookie,
				user.id,
				server.url,
				options.signed ? { signer: user.signer, roomId } : undefined
			);
			await sender.open();
			senders.push(sender);
		}
		const stats = (): Promise<WorkerStats> => statsAcross(workers);
		await drive(senders, rooms, 1_000);
		await sleep(1_000);
		await Promise.all(workers.map((w) => w.reset()));
		const window = meter(server.process.pid ?? 0);
		const started = performance.now();
		const sent = await drive(senders, rooms, options.durationMs);
		const expected = sent * (PER_ROOM - 1);
		await waitUntil(
			async () => (await stats()).messages.reduce((a, b) => a + b, 0) >= expected,
			10_000,
			'many-rooms drain'
		).catch(() => undefined);
		const elapsedS = (performance.now() - started) / 1000;
		const usage = window.stop();
		const final = await stats();
		const delivered = final.messages.reduce((a, b) => a + b, 0);
		const latency = summarize(final.latencies);
		return [
			deliveryRow({
				scenario: 'rooms',
				server: 'parley',
				config: `${rooms} rooms x ${PER_ROOM} clients, 1 msg/s per room, ${options.durationMs / 1000} s${options.signed ? ', signed (REQUIRE_SIGNATURES=1)' : ''}`,
				delivered,
				expected,
				elapsedS,
				latency,
				usage,
				extra: { sent }
			})
		];
	} finally {
		for (const sender of senders) sender.close();
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
