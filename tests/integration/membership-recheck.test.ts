/**
 * The safety net for revocations that never crossed the bus (a `revoke` published while Redis
 * was down is lost: it is not in the log). One real sync service in this process, on a real
 * HTTP server and SQLite file, with real y-websocket clients: the membership row is removed
 * straight from SQLite (no event, no bus message), and the periodic or resync re-check must
 * close the member's socket with 4403.
 */
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/server/config';
import { createEvents } from '../../src/lib/server/events';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { SESSION_COOKIE, createSession } from '../../src/lib/server/session';
import { InProcessBus } from '../../sync-server/bus';
import { CloseCode } from '../../src/lib/protocol/wire';
import { createSyncService, type SyncService } from '../../sync-server/service';
import { connectClient, type SyncClient } from '../support/sync-client';
import { makeTempDir } from '../support/server';
import { createRoomIn, storageOn } from '../support/temp-db';

const log = pino({ level: 'silent' });

let dir: string;
let db: Db;
let bus: InProcessBus;
let service: SyncService;
let http: Server;
let syncUrl: string;
let roomId: string;
const clients: SyncClient[] = [];

async function start(membershipCheckIntervalMs: number): Promise<void> {
	const config = parseConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
	bus = new InProcessBus();
	service = createSyncService({
		config,
		storage: storageOn(db),
		events: createEvents(),
		bus,
		log,
		membershipCheckIntervalMs
	});
	http = createServer((_req, res) => res.writeHead(404).end());
	http.on('upgrade', (request, socket, head: Buffer) => {
		if (!service.handleUpgrade(request, socket, head)) socket.destroy();
	});
	await new Promise<void>((listening) => http.listen(0, '127.0.0.1', listening));
	const address = http.address();
	if (typeof address !== 'object' || !address) throw new Error('no address');
	syncUrl = `ws://127.0.0.1:${address.port}/sync`;
}

async function addUser(id: string): Promise<string> {
	db.prepare(
		"INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, 'x', 0)"
	).run(id, id);
	return `${SESSION_COOKIE}=${(await createSession(storageOn(db).accounts, id)).token}`;
}

async function connect(userId: string, cookie: string): Promise<SyncClient> {
	const client = connectClient({ syncUrl, roomId, cookie, userId });
	clients.push(client);
	await client.waitFor(() => client.provider.synced, 5_000, `${userId} synced`);
	return client;
}

/** Sets up alice (owner) and bob (member), both connected; returns their clients. */
async function aliceAndBob(): Promise<{ alice: SyncClient; bob: SyncClient }> {
	const aliceCookie = await addUser('alice');
	const bobCookie = await addUser('bob');
	roomId = await createRoomIn(db, 'alice', 'room');
	db.prepare(
		"INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, 'bob', 'member', 0)"
	).run(roomId);
	return { alice: await connect('alice', aliceCookie), bob: await connect('bob', bobCookie) };
}

/** What a lost `revoke` leaves behind: the row is gone, nobody was told. */
function removeBobSilently(): void {
	db.prepare("DELETE FROM memberships WHERE room_id = ? AND user_id = 'bob'").run(roomId);
}

beforeEach(() => {
	dir = makeTempDir('parley-recheck-');
	db = openDatabase(join(dir, 'parley.db'));
});

afterEach(async () => {
	for (const client of clients.splice(0)) client.destroy();
	await service?.shutdown();
	await bus?.close();
	await new Promise<void>((closed) => (http ? http.close(() => closed()) : closed()));
	db.close();
	rmSync(dir, { recursive: true, force: true });
});

describe('membership re-check', () => {
	it('closes a non-member’s socket with 4403 at the next periodic check', async () => {
		await start(100);
		const { alice, bob } = await aliceAndBob();
		removeBobSilently();
		await bob.waitFor(() => bob.closes.length > 0, 5_000, 'bob’s socket to close');
		expect(bob.closes[0]?.code).toBe(CloseCode.FORBIDDEN);
		expect(alice.closes).toEqual([]);
		expect(alice.provider.wsconnected).toBe(true);
	});

	it('re-checks every connected user when the bus resyncs', async () => {
		// A period far beyond the test: only the resync can close bob's socket.
		await start(60 * 60 * 1000);
		const { alice, bob } = await aliceAndBob();
		removeBobSilently();
		bus.resync();
		await bob.waitFor(() => bob.closes.length > 0, 5_000, 'bob’s socket to close');
		expect(bob.closes[0]?.code).toBe(CloseCode.FORBIDDEN);
		expect(alice.closes).toEqual([]);
	});
});
