/**
 * Upgrades are checked a few per event-loop turn (sync-server/turn-pacer.ts): a storm of them,
 * all read in one poll phase, must not hold the group commit (a `setImmediate`) back until the
 * last is attached. Both kinds share the queue: rooms' (/sync/<id>) and user sockets'.
 */
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SUMMARY_PATH } from '../../src/lib/protocol/summaries';
import { SESSION_COOKIE } from '../../src/lib/server/session';
import type { RoomHub } from '../../sync-server/rooms';
import type { SummaryFeed } from '../../sync-server/summary-feed';
import { createSummaryUpgrade } from '../../sync-server/summary-upgrade';
import { TurnPacer, UPGRADES_PER_TURN } from '../../sync-server/turn-pacer';
import { createSyncUpgrade, type SyncAccess } from '../../sync-server/upgrade';

const log = pino({ level: 'silent' });
const ORIGIN = 'http://localhost:3000';
const config = { ORIGIN, MAX_FRAME_BYTES: 1024, MAX_CONNECTIONS_PER_USER: 10 };

/** Resolves after the event loop's next check phase (the turn the pacer's setImmediate runs in). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function request(url: string): IncomingMessage {
	return { url, headers: { origin: ORIGIN, cookie: `${SESSION_COOKIE}=token` } } as IncomingMessage;
}

/** Storage's side: counts the session checks, and knows no session (every upgrade gets 401). */
function countingAccess(): SyncAccess & { checked: number } {
	const access = {
		checked: 0,
		verifySession: () => {
			access.checked++;
			return Promise.resolve(null);
		},
		isMember: () => Promise.resolve(false)
	};
	return access;
}

/** A room upgrade handler over `access`, its upgrades paced UPGRADES_PER_TURN (or by `upgrades`). */
function roomUpgrades(
	access: SyncAccess,
	upgrades: Pick<TurnPacer, 'enqueue'> = new TurnPacer({
		budgetPerTurn: UPGRADES_PER_TURN,
		onError: () => undefined
	})
): ReturnType<typeof createSyncUpgrade> {
	return createSyncUpgrade({ access, config, hub: {} as RoomHub, log, upgrades });
}

/** The raw socket of an upgrade, with what the server wrote to it. */
function rawSocket(): { socket: PassThrough; written: () => string } {
	const socket = new PassThrough();
	const chunks: Buffer[] = [];
	socket.on('data', (chunk: Buffer) => chunks.push(chunk));
	return { socket, written: () => Buffer.concat(chunks).toString() };
}

describe('upgrades paced over turns', () => {
	it('checks none at once, then UPGRADES_PER_TURN a turn, rooms and user sockets alike, in order', async () => {
		const access = countingAccess();
		const upgrades = new TurnPacer({ budgetPerTurn: UPGRADES_PER_TURN, onError: () => undefined });
		const rooms = createSyncUpgrade({
			access,
			config,
			hub: {} as RoomHub,
			log,
			upgrades
		});
		const users = createSummaryUpgrade({ access, config, feed: {} as SummaryFeed, log, upgrades });
		const total = UPGRADES_PER_TURN * 2 + 1;
		const sockets = Array.from({ length: total }, (_, i) => {
			const raw = rawSocket();
			const url = i % 2 === 0 ? `/sync/room${i}` : SUMMARY_PATH;
			const handler = i % 2 === 0 ? rooms : users;
			expect(handler.handleUpgrade(request(url), raw.socket, Buffer.alloc(0))).toBe(true);
			return raw;
		});
		expect(access.checked).toBe(0);
		expect(upgrades.waiting).toBe(total);

		// A group commit scheduled meanwhile runs after at most one more turn's checks.
		const order: string[] = [];
		await nextTurn();
		expect(access.checked).toBe(UPGRADES_PER_TURN);
		setImmediate(() => order.push(`commit after ${access.checked}`));
		await nextTurn();
		expect(access.checked).toBe(UPGRADES_PER_TURN * 2);
		expect(order).toEqual([`commit after ${UPGRADES_PER_TURN * 2}`]);
		await nextTurn();
		expect(access.checked).toBe(total);
		expect(upgrades.waiting).toBe(0);

		// Every one was answered: no session, 401 with a JSON error.
		await new Promise((resolve) => setTimeout(resolve, 10));
		for (const { written } of sockets) {
			expect(written()).toMatch(
				/^HTTP\/1\.1 401 Unauthorized\r\n[\s\S]*\{"error":"session expired"\}$/
			);
		}
	});

	it('refuses with 503, without asking storage, the upgrades still waiting when shutdown begins', async () => {
		const access = countingAccess();
		const rooms = roomUpgrades(access);
		const waiting = rawSocket();
		rooms.handleUpgrade(request('/sync/room1'), waiting.socket, Buffer.alloc(0));
		rooms.stopAccepting();
		await nextTurn();
		await new Promise((resolve) => setTimeout(resolve, 10));
		expect(access.checked).toBe(0);
		expect(waiting.written()).toMatch(
			/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*\{"error":"shutting down"\}$/
		);
	});

	it('keeps a client that resets its connection while its upgrade waits from ending the process', async () => {
		// Node drops its HTTP error listener when it hands a socket over for an upgrade: a raw
		// socket from net.createServer is one with no listener at all, as the upgrade gets it.
		const listener = createServer();
		await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
		const address = listener.address();
		if (address === null || typeof address === 'string') throw new Error('no port');
		const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
		const client = connect(address.port, '127.0.0.1');
		client.on('error', () => undefined);
		const socket = await accepted;
		try {
			const access = countingAccess();
			// A queue whose turn never comes: the upgrade waits while the client resets.
			const rooms = roomUpgrades(access, { enqueue: () => undefined });
			expect(rooms.handleUpgrade(request('/sync/room1'), socket, Buffer.alloc(0))).toBe(true);
			const closed = new Promise((resolve) => socket.once('close', resolve));
			client.resetAndDestroy();
			await closed;
			expect(socket.destroyed).toBe(true);
			expect(socket.listenerCount('error')).toBeGreaterThan(0);
			expect(access.checked).toBe(0);
		} finally {
			listener.close();
		}
	});

	it('skips an upgrade whose socket closed while it waited', async () => {
		const access = countingAccess();
		const rooms = roomUpgrades(access);
		const gone = rawSocket();
		rooms.handleUpgrade(request('/sync/room1'), gone.socket, Buffer.alloc(0));
		gone.socket.destroy();
		await nextTurn();
		expect(access.checked).toBe(0);
	});
});
