/**
 * The sync server keeps the search index in step (design.md "Search"): what a client sends
 * through the real program is found by GET /api/search, an edit changes the result, and a room
 * written while no indexer ran is rebuilt when it loads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { signedChange, signingClient, type SigningClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { withServerStorage } from '../support/stored';
import { connectAs, type SyncClient } from '../support/sync-client';

interface SearchBody {
	results: { roomId: string; messageId: string; text: string }[];
}

let server: ServerHandle;
let alice: SigningClient;
const clients: SyncClient[] = [];

beforeAll(async () => {
	server = await startServer();
	alice = await signingClient(server.url);
});

afterAll(async () => {
	for (const client of clients) client.destroy();
	await server?.dispose();
});

async function newRoom(name: string): Promise<string> {
	const response = await alice.post<{ id: string }>('/api/rooms', { name, visibility: 'private' });
	expect(response.status).toBe(201);
	return response.body.id;
}

async function join(roomId: string): Promise<SyncClient> {
	const client = connectAs(alice, server, roomId);
	clients.push(client);
	await client.waitFor(() => client.provider.synced, 5_000, 'synced');
	return client;
}

async function search(q: string): Promise<SearchBody['results']> {
	const response = await alice.get<SearchBody>(`/api/search?q=${encodeURIComponent(q)}`);
	expect(response.status).toBe(200);
	return response.body.results;
}

/** Indexing runs after the commit, off the hot path: poll the API until it shows `expected`. */
async function searchUntil(
	q: string,
	expected: (results: SearchBody['results']) => boolean,
	timeoutMs = 5_000
): Promise<SearchBody['results']> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const results = await search(q);
		if (expected(results)) return results;
		if (Date.now() > deadline) {
			throw new Error(`search for ${q} never matched; last: ${JSON.stringify(results)}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

describe('search indexing by the sync server', () => {
	it('finds a message sent through the sync server and follows its edit', async () => {
		const roomId = await newRoom('Garden');
		const client = await join(roomId);
		const sent = client.send('zephyr lanterns in the greenhouse');
		await client.waitForStored();

		const found = await searchUntil('zephyr', (results) => results.length > 0);
		expect(found.map((r) => [r.roomId, r.messageId, r.text])).toEqual([
			[roomId, sent.id, 'zephyr lanterns in the greenhouse']
		]);

		client.doc.getMap('changes').set(
			sent.id,
			signedChange(alice.signer, roomId, sent.id, alice.userId, {
				text: 'aurora lanterns in the greenhouse',
				ts: Date.now()
			})
		);
		await client.waitForStored();
		const edited = await searchUntil('aurora', (results) => results.length > 0);
		expect(edited.map((r) => r.messageId)).toEqual([sent.id]);
		expect(await search('zephyr')).toEqual([]);
	});

	it('indexes a room written while no indexer ran when the room loads', async () => {
		const roomId = await newRoom('Archive');
		// Committed straight into the server's SQLite, bypassing the sync server and its indexer.
		const doc = new Y.Doc();
		const id = crypto.randomUUID();
		doc
			.getArray('messages')
			.push([{ id, author: alice.userId, text: 'quokka ledger', ts: Date.now() }]);
		await withServerStorage(server.dataDir, (storage) =>
			storage.roomLog.commit([{ roomId, data: Y.encodeStateAsUpdate(doc) }])
		);
		expect(await search('quokka')).toEqual([]);

		await join(roomId);
		const found = await searchUntil('quokka', (results) => results.length > 0);
		expect(found.map((r) => r.messageId)).toEqual([id]);
	});
});
