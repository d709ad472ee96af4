/**
 * Display names with the real program (startServer, after a build): PATCH /api/me validates and
 * stores the name, GET /api/me and the member list show it; the username stays the unique handle
 * and the words "@room" / "@here" mention are not usernames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, createPrivateRoom, registeredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

describe('display names', () => {
	it('are set with PATCH /api/me, trimmed, and shown to the other members', async () => {
		const [alice, bob] = await Promise.all([
			registeredClient(server.url),
			registeredClient(server.url)
		]);
		const roomId = await createPrivateRoom(alice, 'Names', [bob]);
		expect((await bob.get('/api/me')).body).toEqual({
			id: bob.userId,
			username: bob.username,
			displayName: '',
			avatar: null
		});
		const set = await bob.request('PATCH', '/api/me', { displayName: '  Bob Ross ' });
		expect(set).toMatchObject({
			status: 200,
			body: { id: bob.userId, username: bob.username, displayName: 'Bob Ross' }
		});
		expect((await bob.get<{ displayName: string }>('/api/me')).body.displayName).toBe('Bob Ross');
		const members = await alice.get<{ members: { id: string; displayName: string }[] }>(
			`/api/rooms/${roomId}/members`
		);
		expect(members.body.members.find((m) => m.id === bob.userId)?.displayName).toBe('Bob Ross');
		// Cleared: the username shows again.
		await bob.request('PATCH', '/api/me', { displayName: '' });
		expect((await bob.get<{ displayName: string }>('/api/me')).body.displayName).toBe('');
	});

	it('refuses bad names with 400 and changes nothing; 401 without a session', async () => {
		const carol = await registeredClient(server.url);
		await carol.request('PATCH', '/api/me', { displayName: 'Carol' });
		for (const body of [
			{ displayName: 'x'.repeat(65) },
			{ displayName: 'bell\u0007' },
			{ displayName: 'evil\u202egnp.exe' },
			{ displayName: 'zero\u200bwidth' },
			{ displayName: 42 },
			{ displayName: 'Carol', username: 'admin' },
			{},
			'Carol'
		]) {
			const refused = await carol.request<{ error: string }>('PATCH', '/api/me', body);
			expect(refused.status, JSON.stringify(body)).toBe(400);
			expect(typeof refused.body.error).toBe('string');
		}
		expect((await carol.get<{ displayName: string }>('/api/me')).body.displayName).toBe('Carol');
		const anonymous = new ApiClient(server.url);
		expect((await anonymous.request('PATCH', '/api/me', { displayName: 'x' })).status).toBe(401);
	});

	it('keeps "room" and "here" from being usernames ("@room" and "@here" mention everyone)', async () => {
		for (const username of ['room', 'Here', 'ROOM']) {
			const client = new ApiClient(server.url);
			const refused = await client.post<{ error: string }>('/api/auth/register', {
				username,
				password: 'correct horse battery'
			});
			expect(refused.status, username).toBe(400);
			expect(refused.body.error).toBe('That username is reserved.');
		}
	});
});
