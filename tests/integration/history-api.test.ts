/**
 * The sealed-history reads of the HTTP API (docs/design.md "History segments") against the real
 * program. Segments are written straight into the server's SQLite here, so these tests check
 * the API's rules (members only, shapes, caching, gzip) apart from sealing, which
 * segments-sync.test.ts drives through the sync server.
 */
import { get as httpGet } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { createPrivateRoom, registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;
let owner: RegisteredClient;
let member: RegisteredClient;
let outsider: RegisteredClient;
let roomId: string;

const messages = [
	{ id: '00000000-0000-4000-8000-000000000001', author: 'a', text: 'first', ts: 1 },
	{ id: '00000000-0000-4000-8000-000000000002', author: 'b', text: 'second', ts: 2 }
];
const stateVector = Uint8Array.from([1, 7, 2]);

beforeAll(async () => {
	server = await startServer();
	[owner, member, outsider] = await Promise.all([
		registeredClient(server.url),
		registeredClient(server.url),
		registeredClient(server.url)
	]);
	roomId = await createPrivateRoom(owner, 'History', [member]);
	// As a seal leaves it: one segment of epoch 0, the epoch's state vector, head at epoch 1.
	const db = openDatabase(databaseFile(server.dataDir));
	try {
		db.prepare(
			`INSERT INTO room_segments (room_id, n, epoch, count, first_id, last_id, data, created_at)
			 VALUES (?, 0, 0, 2, ?, ?, ?, 0)`
		).run(roomId, messages[0]?.id, messages[1]?.id, gzipSync(JSON.stringify(messages)));
		db.prepare(
			'INSERT INTO room_epochs (room_id, epoch, state_vector, sealed_at) VALUES (?, 0, ?, 0)'
		).run(roomId, stateVector);
		db.prepare('UPDATE rooms SET epoch = 1 WHERE id = ?').run(roomId);
	} finally {
		db.close();
	}
});

afterAll(async () => {
	await server?.dispose();
});

/** A raw GET (no automatic decompression), to see the bytes and headers as sent. */
function rawGet(
	path: string,
	headers: Record<string, string>
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
	return new Promise((resolve, reject) => {
		httpGet(new URL(path, server.url), { headers }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () =>
				resolve({
					status: response.statusCode ?? 0,
					headers: response.headers,
					body: Buffer.concat(chunks)
				})
			);
			response.on('error', reject);
		}).on('error', reject);
	});
}

describe('GET /api/rooms/:id/history', () => {
	it('gives members the head epoch and the segments, oldest first', async () => {
		const response = await member.get(`/api/rooms/${roomId}/history`);
		expect(response.status).toBe(200);
		expect(response.body).toEqual({
			epoch: 1,
			segments: [{ n: 0, epoch: 0, count: 2, firstId: messages[0]?.id, lastId: messages[1]?.id }]
		});
	});

	it('refuses non-members (403), strangers (401) and unknown rooms (404)', async () => {
		expect((await outsider.get(`/api/rooms/${roomId}/history`)).status).toBe(403);
		const anonymous = await fetch(`${server.url}/api/rooms/${roomId}/history`);
		expect(anonymous.status).toBe(401);
		expect(await anonymous.json()).toHaveProperty('error');
		const unknown = await member.get('/api/rooms/nosuchroom/history');
		expect(unknown.status).toBe(404);
		expect(unknown.body).toHaveProperty('error');
	});
});

describe('GET /api/rooms/:id/epochs/:epoch', () => {
	it('gives the sealed epoch its state vector, base64', async () => {
		const response = await member.get<{ epoch: number; stateVector: string }>(
			`/api/rooms/${roomId}/epochs/0`
		);
		expect(response.status).toBe(200);
		expect(response.body.epoch).toBe(0);
		expect([...Buffer.from(response.body.stateVector, 'base64')]).toEqual([...stateVector]);
	});

	it('404 for the head (not sealed), 400 for a non-number, 403 for non-members', async () => {
		const head = await member.get(`/api/rooms/${roomId}/epochs/1`);
		expect(head.status).toBe(404);
		expect(head.body).toEqual({ error: 'That epoch is not sealed.' });
		const bad = await member.get(`/api/rooms/${roomId}/epochs/-1`);
		expect(bad.status).toBe(400);
		expect(bad.body).toHaveProperty('error');
		expect((await outsider.get(`/api/rooms/${roomId}/epochs/0`)).status).toBe(403);
	});
});

describe('GET /api/rooms/:id/segments/:n', () => {
	it('answers the messages as JSON, cacheable for good', async () => {
		const response = await member.get(`/api/rooms/${roomId}/segments/0`);
		expect(response.status).toBe(200);
		expect(response.body).toEqual({ n: 0, epoch: 0, messages });
		expect(response.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
		expect(response.headers.get('etag')).toMatch(/^"[^"]+"$/);
	});

	it('is gzipped when the client accepts it, plain otherwise', async () => {
		const cookie = member.cookie ?? '';
		const zipped = await rawGet(`/api/rooms/${roomId}/segments/0`, {
			cookie,
			'accept-encoding': 'gzip'
		});
		expect(zipped.status).toBe(200);
		expect(zipped.headers['content-encoding']).toBe('gzip');
		expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual({
			n: 0,
			epoch: 0,
			messages
		});
		const plain = await rawGet(`/api/rooms/${roomId}/segments/0`, {
			cookie,
			'accept-encoding': 'identity'
		});
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(JSON.parse(plain.body.toString('utf8'))).toEqual({ n: 0, epoch: 0, messages });
	});

	it('answers 304 to a matching If-None-Match', async () => {
		const first = await member.get(`/api/rooms/${roomId}/segments/0`);
		const etag = first.headers.get('etag') ?? '';
		const again = await rawGet(`/api/rooms/${roomId}/segments/0`, {
			cookie: member.cookie ?? '',
			'if-none-match': etag
		});
		expect(again.status).toBe(304);
		expect(again.body.byteLength).toBe(0);
	});

	it('404 for a segment that does not exist, 400 for a bad number, 403 for non-members', async () => {
		const missing = await member.get(`/api/rooms/${roomId}/segments/1`);
		expect(missing.status).toBe(404);
		expect(missing.body).toEqual({ error: 'No such segment.' });
		expect((await member.get(`/api/rooms/${roomId}/segments/abc`)).status).toBe(400);
		expect((await outsider.get(`/api/rooms/${roomId}/segments/0`)).status).toBe(403);
	});
});

describe('the room page', () => {
	it('tells the browser the head epoch', async () => {
		const response = await member.get(`/rooms/${roomId}/__data.json`);
		expect(response.status).toBe(200);
		expect(JSON.stringify(response.body)).toContain('"epoch"');
	});
});
