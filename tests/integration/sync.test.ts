/**
 * The sync server end to end: the real program (startServer), real sockets, the stock
 * y-websocket provider (tests/support/sync-client.ts), users and rooms made through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPrivateRoom, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { storedRoomDoc } from '../support/stored';
import { connectAs, type SyncClient } from '../support/sync-client';
import * as Y from 'yjs';

let server: ServerHandle;
let alice: User;
let bob: User;
let carol: User;
let roomId: string;
const clients: SyncClient[] = [];

function join(user: User, options: { doc?: Y.Doc } = {}): SyncClient {
	const client = connectAs(user, server, roomId, options.doc);
	clients.push(client);
	return client;
}

function leave(client: SyncClient): void {
	client.destroy();
	clients.splice(clients.indexOf(client), 1);
}

const texts = (client: SyncClient): string[] => client.messages().map((m) => m.text);

/** The HTTP status of a refused upgrade (the `ws` client reports it as 'unexpected-response'). */
function upgradeStatus(path: string, headers: Record<string, string>): Promise<number> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`${server.syncUrl.replace(/\/sync$/, '')}${path}`, { headers });
		ws.on('unexpected-response', (_request, response) => {
			resolve(response.statusCode ?? 0);
			ws.terminate();
		});
		ws.on('open', () => {
			ws.close();
			reject(new Error(`upgrade to ${path} was accepted`));
		});
		ws.on('error', () => undefined);
	});
}

/** What the server committed for the room, read from its SQLite file. */
function storedTexts(): string[] {
	const doc = storedRoomDoc(server.dataDir, roomId);
	try {
		return doc
			.getArray<{ text: string }>('messages')
			.toArray()
			.map((m) => m.text);
	} finally {
		doc.destroy();
	}
}

beforeAll(async () => {
	server = await startServer();
	[alice, bob, carol] = await Promise.all([
		signingClient(server.url),
		signingClient(server.url),
		signingClient(server.url)
	]);
	roomId = await createPrivateRoom(alice, 'sync', [bob]);
});

afterAll(async () => {
	for (const client of clients.splice(0)) client.destroy();
	await server?.dispose();
});

describe('sync server', () => {
	it('lets two members exchange messages both ways, each stored and receipted', async () => {
		const a = join(alice);
		const b = join(bob);
		await a.waitFor(() => a.provider.synced, 5_000, 'alice synced');
		await b.waitFor(() => b.provider.synced, 5_000, 'bob synced');

		a.send('hello bob');
		await b.waitFor(() => texts(b).includes('hello bob'), 5_000, 'bob to get hello');
		b.send('hi alice');
		await a.waitFor(() => texts(a).includes('hi alice'), 5_000, 'alice to get hi');
		await a.waitForStored();
		await b.waitForStored();

		expect(texts(a)).toEqual(texts(b));
		expect(storedTexts().sort()).toEqual(['hello bob', 'hi alice']);
		leave(a);
		leave(b);
	});

	it('relays presence with the user taken from the session, not from the client', async () => {
		const a = join(alice);
		const b = join(bob);
		await a.waitFor(() => a.provider.synced, 5_000, 'alice synced');
		await b.waitFor(() => b.provider.synced, 5_000, 'bob synced');
		a.provider.awareness.setLocalState({
			user: { id: bob.userId, name: 'not alice' },
			typing: true
		});
		const seen = (): unknown => b.provider.awareness.getStates().get(a.doc.clientID);
		await b.waitFor(() => seen() !== undefined, 5_000, 'alice’s presence at bob');
		expect(seen()).toEqual({ user: { id: alice.userId, name: alice.username }, typing: true });
		leave(a);
		await b.waitFor(() => seen() === undefined, 5_000, 'alice’s presence to go');
		leave(b);
	});

	it('refuses upgrades without a session, from non-members and from a foreign Origin', async () => {
		const origin = server.url;
		expect(await upgradeStatus(`/sync/${roomId}`, { origin })).toBe(401);
		expect(await upgradeStatus(`/sync/${roomId}`, { origin, cookie: 'parley_session=a.b' })).toBe(
			401
		);
		expect(await upgradeStatus(`/sync/${roomId}`, { origin, cookie: carol.cookie ?? '' })).toBe(
			403
		);
		expect(
			await upgradeStatus(`/sync/${roomId}`, {
				origin: 'http://evil.example',
				cookie: alice.cookie ?? ''
			})
		).toBe(403);
		expect(await upgradeStatus('/sync/Not_A_Room', { origin, cookie: alice.cookie ?? '' })).toBe(
			404
		);
	});

	it('refuses a forged author: the sender is told, the other member and the store never see it', async () => {
		const b = join(bob);
		await b.waitFor(() => b.provider.synced, 5_000, 'bob synced');
		const forger = join(alice);
		await forger.waitFor(() => forger.provider.synced, 5_000, 'forger synced');
		forger.doc
			.getArray('messages')
			.push([
				{ id: crypto.randomUUID(), author: bob.userId, text: 'forged by alice', ts: Date.now() }
			]);
		await forger.waitFor(() => forger.denied.length > 0, 5_000, 'permission denied');
		expect(forger.denied[0]).toMatch(/author/);
		leave(forger);

		// A later honest message arrives, so anything sent before it would have arrived too.
		const a = join(alice);
		await a.waitFor(() => a.provider.synced, 5_000, 'alice synced');
		a.send('honest');
		await b.waitFor(() => texts(b).includes('honest'), 5_000, 'bob to get honest');
		await a.waitForStored();
		expect(texts(b)).not.toContain('forged by alice');
		expect(storedTexts()).not.toContain('forged by alice');
		leave(a);
		leave(b);
	});

	it('keeps the history across a graceful restart', async () => {
		const before = storedTexts();
		expect(before.length).toBeGreaterThan(0);
		const connected = join(alice);
		await connected.waitFor(() => connected.provider.synced, 5_000, 'alice synced');
		expect(await server.stop()).toBe(0);
		// Drained, not dropped: the client was told the server is restarting.
		await connected.waitFor(() => connected.closes.length > 0, 5_000, 'close event');
		expect(connected.closes[0]?.code).toBe(1012);
		leave(connected);

		server = await server.restart();
		const b = join(bob);
		await b.waitFor(() => b.provider.synced, 5_000, 'bob synced after restart');
		expect(texts(b).sort()).toEqual([...before].sort());
		leave(b);
	});

	it('keeps a receipted message through kill -9 and takes what was typed while it was down', async () => {
		const a = join(alice);
		await a.waitFor(() => a.provider.synced, 5_000, 'alice synced');
		a.send('survives kill -9');
		await a.waitForStored();
		await server.kill();
		// Typed while the server is down: the provider re-sends it when it reconnects.
		const offline = a.send('typed while down');
		expect(a.isStored()).toBe(false);
		server = await server.restart();

		const b = join(bob);
		await b.waitFor(() => texts(b).includes('survives kill -9'), 5_000, 'message after restart');
		await b.waitFor(() => texts(b).includes(offline.text), 5_000, 'the offline message');
		await a.waitForStored();
		leave(a);
		leave(b);
	});

	it('closes a removed member’s socket within a second', async () => {
		const b = join(bob);
		await b.waitFor(() => b.provider.synced, 5_000, 'bob synced');
		const removedAt = Date.now();
		const removed = await alice.delete(`/api/rooms/${roomId}/members/${bob.userId}`);
		expect(removed.status).toBe(204);
		await b.waitFor(() => b.closes.some((c) => c.code === 4403), 1_000, 'close 4403');
		expect(Date.now() - removedAt).toBeLessThan(1_000);
		// 44xx is final for y-websocket: it does not try again.
		expect(b.provider.shouldConnect).toBe(false);
		leave(b);
	});
});
