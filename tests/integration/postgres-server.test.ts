/**
 * The real program on PostgreSQL (DATABASE_URL): a throw-away cluster (tests/support/postgres.ts),
 * the server spawned on it, real sockets. Sync between two clients, a STORED update through
 * kill -9, the HTTP API and search, an outage of the database mid-stream, and the refusals of a
 * bad DATABASE_URL (a clear error and exit 1, never SQLite instead).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../src/lib/server/storage/postgres';
import { createPrivateRoom, type RegisteredClient } from '../support/api';
import { signingClient } from '../support/device';
import { messageTexts } from '../support/messages';
import { PG_PASSWORD, PG_USER, startPostgres, type PostgresHandle } from '../support/postgres';
import { freePort, startServer, type ServerHandle } from '../support/server';
import { openSummaries } from '../support/summary-client';
import { connectAs, type SyncClient } from '../support/sync-client';
import { waitFor } from '../support/wait';

let pg: PostgresHandle;
let databaseUrl: string;
let server: ServerHandle;
let alice: RegisteredClient;
let bob: RegisteredClient;
let roomId: string;
const clients: SyncClient[] = [];

function join(user: RegisteredClient): SyncClient {
	const client = connectAs(user, server, roomId);
	clients.push(client);
	return client;
}

const texts = (client: SyncClient): string[] => client.messages().map((m) => m.text);

/** The room's messages as PostgreSQL holds them (snapshot + log), in the document's order. */
async function storedTexts(): Promise<string[]> {
	const storage = await openPostgresStorage(databaseUrl);
	try {
		return messageTexts((await storage.roomLog.load(roomId)).updates);
	} finally {
		await storage.close();
	}
}

async function readyStatus(): Promise<number> {
	return (await fetch(new URL('/readyz', server.url))).status;
}

beforeAll(async () => {
	pg = await startPostgres();
	databaseUrl = await pg.createDatabase();
	server = await startServer({ databaseUrl });
	[alice, bob] = await Promise.all([signingClient(server.url), signingClient(server.url)]);
	roomId = await createPrivateRoom(alice, 'on postgres', [bob]);
}, 120_000);

afterAll(async () => {
	for (const client of clients.splice(0)) client.destroy();
	await server?.dispose();
	await pg?.dispose();
}, 60_000);

describe('the program on PostgreSQL', () => {
	it('keeps accounts and rooms in PostgreSQL, not in a SQLite file', async () => {
		const rooms = await bob.get<{ rooms: { id: string }[] }>('/api/rooms');
		expect(rooms.status).toBe(200);
		expect(rooms.body.rooms.map((room) => room.id)).toContain(roomId);
		const storage = await openPostgresStorage(databaseUrl);
		try {
			expect(await storage.rooms.membership(roomId, bob.userId)).toBe('member');
			expect((await storage.accounts.getUser(alice.userId))?.username).toBe(alice.username);
		} finally {
			await storage.close();
		}
		expect((await import('node:fs')).existsSync(`${server.dataDir}/parley.db`)).toBe(false);
	});

	it('syncs two members both ways, each message stored and receipted', async () => {
		const a = join(alice);
		const b = join(bob);
		await a.waitFor(() => a.provider.synced, 10_000, 'alice synced');
		await b.waitFor(() => b.provider.synced, 10_000, 'bob synced');
		a.send('hello bob');
		await b.waitFor(() => texts(b).includes('hello bob'), 10_000, 'bob to get hello');
		b.send('hi alice');
		await a.waitFor(() => texts(a).includes('hi alice'), 10_000, 'alice to get hi');
		await a.waitForStored(10_000);
		await b.waitForStored(10_000);
		expect((await storedTexts()).sort()).toEqual(['hello bob', 'hi alice']);
	});

	it('records a member’s delivery ack (only theirs, only the last message) and tells the author', async () => {
		const aliceFeed = openSummaries(server, alice.cookie);
		const bobFeed = openSummaries(server, bob.cookie);
		try {
			const sender = join(alice);
			await sender.waitFor(() => sender.provider.synced, 10_000, 'synced');
			const sent = sender.send('delivered on postgres');
			await bobFeed.waitFor(() => bobFeed.rooms()?.get(roomId)?.last?.id === sent.id, 'the last');
			await aliceFeed.waitFor(() => aliceFeed.rooms() !== null, 'alice’s snapshot');
			const ack = (feed: typeof bobFeed, upTo: string) =>
				feed.send(JSON.stringify({ type: 'delivered', rooms: [{ roomId, upTo }] }));
			ack(aliceFeed, sent.id);
			ack(bobFeed, 'not-the-last');
			ack(bobFeed, sent.id);
			await aliceFeed.waitFor(
				() => aliceFeed.frames.some((frame) => frame.type === 'deliveries'),
				'bob’s delivery'
			);
			expect(aliceFeed.frames.filter((frame) => frame.type === 'deliveries')).toEqual([
				{
					type: 'deliveries',
					roomId,
					marks: [{ userId: bob.userId, upTo: sent.id, ts: expect.any(Number) }]
				}
			]);
			const receipts = await alice.get<{ members: unknown[] }>(`/api/rooms/${roomId}/receipts`);
			expect(receipts.body.members).toEqual(
				expect.arrayContaining([
					{ id: alice.userId, username: alice.username, delivered: null },
					{
						id: bob.userId,
						username: bob.username,
						delivered: { upTo: sent.id, ts: expect.any(Number) }
					}
				])
			);
		} finally {
			aliceFeed.close();
			bobFeed.close();
		}
	});

	it('finds a synced message through the search API, for members only', async () => {
		const outsider = await signingClient(server.url);
		const a = join(alice);
		await a.waitFor(() => a.provider.synced, 10_000, 'alice synced');
		a.send('zucchini soup tonight');
		await a.waitForStored(10_000);
		type Body = { results: { roomId: string; text: string; authorName: string | null }[] };
		let found: Body['results'] = [];
		await waitFor(
			'the indexer to index the message',
			async () => {
				found = (await bob.get<Body>('/api/search?q=zucch%20sou')).body.results ?? [];
				return found.length > 0;
			},
			20_000,
			100
		);
		expect(found).toMatchObject([
			{ roomId, text: 'zucchini soup tonight', authorName: alice.username }
		]);
		expect((await outsider.get<Body>('/api/search?q=zucchini')).body.results).toEqual([]);
		const syntax = await bob.get<Body>(`/api/search?q=${encodeURIComponent('zucchini OR ( ^*')}`);
		expect(syntax.status).toBe(200);
	});

	it('keeps a receipted message through kill -9 of the server', async () => {
		const a = join(alice);
		await a.waitFor(() => a.provider.synced, 10_000, 'alice synced');
		a.send('survives kill -9');
		await a.waitForStored(10_000);
		await server.kill();
		expect(await storedTexts()).toContain('survives kill -9');
		server = await server.restart();
		const b = join(bob);
		await b.waitFor(() => texts(b).includes('survives kill -9'), 10_000, 'message after restart');
	});

	it('rides out a database outage: pending meanwhile, /readyz unready, nothing lost after', async () => {
		const a = join(alice);
		const b = join(bob);
		await a.waitFor(() => a.provider.synced, 10_000, 'alice synced');
		await b.waitFor(() => b.provider.synced, 10_000, 'bob synced');
		a.send('before the outage');
		await a.waitForStored(10_000);
		expect(await readyStatus()).toBe(200);

		await pg.stop();
		let restarted = false;
		let during: ReturnType<typeof a.send>;
		try {
			const failedBefore = server.output.filter((line) => line.includes('commit failed')).length;
			during = a.send('during the outage');
			await waitFor(
				'a failed commit',
				() => server.output.filter((line) => line.includes('commit failed')).length > failedBefore,
				20_000
			);
			await waitFor('/readyz to turn unready', async () => (await readyStatus()) === 503, 20_000);
			// Not acknowledged, and not forwarded: nothing is told before it is durable.
			expect(a.isStored()).toBe(false);
			expect(texts(b)).not.toContain(during.text);
			await pg.start();
			restarted = true;
		} finally {
			// A failure above must not leave the database down for the tests after this one.
			if (!restarted) await pg.start();
		}

		await a.waitForStored(30_000);
		await b.waitFor(() => texts(b).includes(during.text), 30_000, 'the message after the outage');
		await waitFor('/readyz to turn ready', async () => (await readyStatus()) === 200, 20_000);
		const stored = await storedTexts();
		expect(stored.filter((text) => text === 'before the outage')).toHaveLength(1);
		expect(stored.filter((text) => text === during.text)).toHaveLength(1);
	});
});

describe('a bad DATABASE_URL', () => {
	async function refusal(url: string): Promise<string> {
		const attempt = startServer({ databaseUrl: url, startTimeoutMs: 60_000 });
		const error = await attempt.then(
			async (started) => {
				await started.dispose();
				throw new Error(`the server started with DATABASE_URL=${url}`);
			},
			(failure: unknown) => (failure instanceof Error ? failure.message : String(failure))
		);
		expect(error).toMatch(/server exited \(1\) before listening/);
		expect(error).toContain('DATABASE_URL');
		expect(error).not.toContain('"msg":"listening"');
		return error;
	}

	it('refuses a malformed URL without printing it', async () => {
		const message = await refusal(`postgres://${PG_USER}:s3cret-pw@127.0.0.1:notaport/x`);
		expect(message).not.toContain('s3cret-pw');
		await refusal('mysql://someone@127.0.0.1/x');
	});

	it('refuses an unreachable database', async () => {
		const port = await freePort();
		const message = await refusal(`postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/x`);
		expect(message).toContain(`127.0.0.1:${port}`);
	});

	it('refuses wrong credentials', async () => {
		const url = new URL(databaseUrl);
		url.password = 'not-the-password';
		const message = await refusal(url.toString());
		expect(message).toMatch(/password authentication failed/);
		expect(message).not.toContain('not-the-password');
	});
});
