/**
 * Rooms and DMs are created at most ROOMS_PER_HOUR / DMS_PER_HOUR times per user: past that,
 * 429 with Retry-After and `{ error }`, for that user only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

const ROOMS_PER_HOUR = 3;
const DMS_PER_HOUR = 2;
let server: ServerHandle;

beforeAll(async () => {
	server = await startServer({
		env: { ROOMS_PER_HOUR: String(ROOMS_PER_HOUR), DMS_PER_HOUR: String(DMS_PER_HOUR) }
	});
});

afterAll(async () => {
	await server?.dispose();
});

/** A page form post as a browser sends it (SvelteKit answers an action's failure with its status). */
function postForm(path: string, user: RegisteredClient, fields: Record<string, string>) {
	return fetch(new URL(path, server.url), {
		method: 'POST',
		headers: {
			origin: server.url,
			accept: 'text/html',
			'content-type': 'application/x-www-form-urlencoded',
			cookie: user.cookie ?? ''
		},
		body: new URLSearchParams(fields).toString(),
		redirect: 'manual'
	});
}

describe('creation limits', () => {
	it('answers 429 with Retry-After past ROOMS_PER_HOUR new rooms of one user', async () => {
		const alice = await registeredClient(server.url);
		for (let i = 0; i < ROOMS_PER_HOUR; i++) {
			const room = await alice.post('/api/rooms', { name: `Room ${i}`, visibility: 'public' });
			expect(room.status).toBe(201);
		}
		const limited = await alice.post('/api/rooms', { name: 'One too many', visibility: 'public' });
		expect(limited).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		const rooms = await alice.get<{ rooms: unknown[] }>('/api/rooms');
		expect(rooms.body.rooms).toHaveLength(ROOMS_PER_HOUR);

		const bob = await registeredClient(server.url);
		expect((await bob.post('/api/rooms', { name: 'Mine', visibility: 'private' })).status).toBe(
			201
		);
	});

	it('answers 429 with Retry-After past DMS_PER_HOUR new DMs of one user; reopening one is free', async () => {
		const alice = await registeredClient(server.url);
		const first = await registeredClient(server.url);
		for (let i = 0; i < DMS_PER_HOUR; i++) {
			const other = i === 0 ? first : await registeredClient(server.url);
			expect((await alice.post('/api/dms', { username: other.username })).status).toBe(201);
		}
		expect((await alice.post('/api/dms', { username: first.username })).status).toBe(200);
		const stranger = await registeredClient(server.url);
		const limited = await alice.post('/api/dms', { username: stranger.username });
		expect(limited).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		// The other side may still start the DM: the limit is the sender's.
		expect((await stranger.post('/api/dms', { username: alice.username })).status).toBe(201);
	});

	it('limits the page forms too, which share the counts with the API', async () => {
		const alice = await registeredClient(server.url);
		for (let i = 0; i < ROOMS_PER_HOUR; i++) {
			const created = await postForm('/?/create', alice, {
				name: `Form ${i}`,
				visibility: 'private'
			});
			expect(created.status).toBe(303);
		}
		expect(
			(await postForm('/?/create', alice, { name: 'More', visibility: 'private' })).status
		).toBe(429);
		expect((await alice.post('/api/rooms', { name: 'More', visibility: 'public' })).status).toBe(
			429
		);

		for (let i = 0; i < DMS_PER_HOUR; i++) {
			const other = await registeredClient(server.url);
			expect((await postForm('/dms?/open', alice, { username: other.username })).status).toBe(303);
		}
		const last = await registeredClient(server.url);
		expect((await postForm('/dms?/open', alice, { username: last.username })).status).toBe(429);
	});
});
