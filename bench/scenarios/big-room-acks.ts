/**
 * (k) Issue 15, "delivery acknowledgements must stay cheap in big rooms": one room of
 * `members` + 4 senders, every member with the room open (a room socket, and a user socket that
 * said `open`), 4 senders at `rate` msgs/s in all. Each member's user socket acknowledges
 * delivery as `BENCH_ACK_MODE` says:
 * - `second` (default): as a tab does now (docs/design.md "Delivered and read"): at most one
 *   frame a second, naming the latest message;
 * - `each`: one frame per message (a tab before `ACK_EVERY_MS`);
 * - `none`: no acknowledgements (the baseline).
 * Reports server CPU per message and the summary frames the senders' user sockets received
 * (`deliveries`, or `delivery` from a server before it).
 */
import { rmSync } from 'node:fs';
import { openSummaries, type SummaryClient } from '../../tests/support/summary-client';
import { makeTempDir } from '../../tests/support/server';
import { deliveryRow, meter, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { Sender, drive } from '../lib/sender';
import { round, sleep, summarize, waitUntil } from '../lib/stats';
import { LoadWorker, openAcross, statsAcross, type ClientSpec } from '../lib/workers';

const SENDERS = 4;
const ACK_EVERY_MS = 1_000;
type AckMode = 'second' | 'each' | 'none';

function ackMode(): AckMode {
	const mode = process.env.BENCH_ACK_MODE ?? 'second';
	if (mode === 'second' || mode === 'each' || mode === 'none') return mode;
	throw new Error(`BENCH_ACK_MODE: second, each or none, not ${mode}`);
}

/** A member's tab acknowledging `roomId`'s messages as `mode` says; returns how to stop. */
function acknowledger(feed: SummaryClient, roomId: string, mode: AckMode) {
	let sentAt = -Infinity;
	let pending: string | null = null;
	let timer: ReturnType<typeof setTimeout> | undefined;
	const send = (upTo: string): void => {
		feed.send(JSON.stringify({ type: 'delivered', rooms: [{ roomId, upTo }] }));
		sentAt = performance.now();
	};
	return {
		stored(upTo: string): void {
			if (mode === 'none') return;
			if (mode === 'each') return send(upTo);
			if (pending !== null) {
				pending = upTo;
				return;
			}
			const wait = sentAt + ACK_EVERY_MS - performance.now();
			if (wait <= 0) return send(upTo);
			pending = upTo;
			timer = setTimeout(() => {
				if (pending !== null) send(pending);
				pending = null;
			}, wait);
		},
		stop(): void {
			clearTimeout(timer);
		}
	};
}

export async function runBigRoomAcks(options: {
	members: number;
	rate: number;
	durationMs: number;
}): Promise<Row[]> {
	const mode = ackMode();
	const dataDir = makeTempDir('parley-bench-');
	const everyone = SENDERS + options.members;
	const seeded = await seed(dataDir, {
		users: everyone,
		rooms: 1,
		membersOf: () => Array.from({ length: everyone }, (_, i) => i)
	});
	const roomId = seeded.rooms[0] ?? '';
	const server = await startParley(dataDir);
	const workers = [new LoadWorker()];
	const feeds: SummaryClient[] = [];
	const senders: Sender[] = [];
	const tabs: ReturnType<typeof acknowledger>[] = [];
	try {
		const roomUrl = `${server.syncUrl}/${roomId}`;
		const specs: ClientSpec[] = seeded.users
			.slice(SENDERS)
			.map((user) => ({ url: roomUrl, cookie: user.cookie }));
		const failed = await openAcross(workers, specs, {
			origin: server.url,
			sendStep1: false,
			reconnect: false,
			sampleEvery: Math.max(1, Math.floor(options.members / 16)),
			concurrency: 100
		});
		if (failed.some((n) => n > 0)) throw new Error('room sockets failed to open');
		for (const user of seeded.users) {
			const feed = openSummaries(server, user.cookie);
			await feed.waitFor(() => feed.rooms() !== null, 'a user socket’s snapshot', 60_000);
			feed.send(JSON.stringify({ type: 'open', roomId }));
			feeds.push(feed);
		}
		for (const feed of feeds.slice(SENDERS)) tabs.push(acknowledger(feed, roomId, mode));
		for (let s = 0; s < SENDERS; s++) {
			const user = seeded.users[s];
			if (!user) throw new Error('missing sender');
			const sender = new Sender(roomUrl, user.cookie, user.id, server.url);
			await sender.open();
			sender.onStored = (upTo) => {
				for (const tab of tabs) tab.stored(upTo);
			};
			senders.push(sender);
		}
		await drive(senders, options.rate, 1_000);
		await sleep(1_500);
		await Promise.all(workers.map((w) => w.reset()));
		const authorFrames = (): number =>
			feeds
				.slice(0, SENDERS)
				.reduce(
					(n, feed) =>
						n + feed.frames.filter((f) => f.type === 'deliveries' || f.type === 'delivery').length,
					0
				);
		const framesBefore = authorFrames();
		const window = meter(server.process.pid ?? 0);
		const started = performance.now();
		const sent = await drive(senders, options.rate, options.durationMs);
		const expected = sent * options.members;
		await waitUntil(
			async () => (await statsAcross(workers)).messages.reduce((a, b) => a + b, 0) >= expected,
			30_000,
			'big-room drain'
		).catch(() => undefined);
		// The last acknowledgements (up to a second late) and their batch.
		await sleep(mode === 'second' ? ACK_EVERY_MS + 300 : 300);
		const elapsedS = (performance.now() - started) / 1000;
		const usage = window.stop();
		const final = await statsAcross(workers);
		const delivered = final.messages.reduce((a, b) => a + b, 0);
		return [
			deliveryRow({
				scenario: 'big-room-acks',
				server: 'parley',
				config: `1 room of ${options.members} + ${SENDERS} senders, ${options.rate} msgs/s, ${options.durationMs / 1000} s, acks: ${mode}`,
				delivered,
				expected,
				elapsedS,
				latency: summarize(final.latencies),
				usage,
				extra: {
					sent,
					cpuUsPerMsg: round(usage.cpuMicros / Math.max(1, sent)),
					deliveryFramesToAuthors: authorFrames() - framesBefore
				}
			})
		];
	} finally {
		for (const tab of tabs) tab.stop();
		for (const sender of senders) sender.close();
		for (const feed of feeds) feed.close();
		await Promise.all(workers.map((w) => w.close()));
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}
