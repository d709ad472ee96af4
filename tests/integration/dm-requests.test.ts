/**
 * DM requests: a DM from someone who shares no room with the recipient waits for the recipient
 * to accept it. Until then the recipient is not a member (the sync upgrade answers 403) and sees
 * it only under `requests`; a decline ends it and blocks further requests from that sender.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPrivateRoom, registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

interface DmPerson {
	id: string;
	username: string;
	pending: boolean;
}
interface DmList {
	dms: {
		id: string;
		other: { id: string; username: string };
		others: DmPerson[];
		status: string;
	}[];
	requests: { id: string; other: { id: string; username: string }; others: DmPerson[] }[];
}

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

/** The status of a sync upgrade for `roomId` as `user`: 101 when it opens. */
function upgradeStatus(user: RegisteredClient, roomId: string): Promise<number> {
	return new Promise((resolve) => {
		const ws = new WebSocket(`${server.syncUrl}/${roomId}`, {
			headers: { cookie: user.cookie ?? '', origin: server.url }
		});
		ws.on('open', () => {
			ws.terminate();
			resolve(101);
		});
		ws.on('unexpected-response', (_request, response) => {
			ws.terminate();
			resolve(response.statusCode ?? 0);
		});
		ws.on('error', () => undefined);
	});
}

async function dmsOf(user: RegisteredClient): Promise<DmList> {
	const response = await user.get<DmList>('/api/dms');
	expect(response.status).toBe(200);
	return response.body;
}

async function request(from: RegisteredClient, to: RegisteredClient): Promise<string> {
	const created = await from.post<{ id: string; status: string }>('/api/dms', {
		username: to.username
	});
	expect(created).toMatchObject({ status: 201, body: { status: 'pending' } });
	return created.body.id;
}

describe('dm requests', () => {
	it('makes a DM from a stranger a request: the sender writes, the recipient only sees a request', async () => {
		const alice = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const dmId = await request(alice, bob);

		expect(await dmsOf(alice)).toEqual({
			dms: [
				{
					id: dmId,
					other: { id: bob.userId, username: bob.username },
					others: [{ id: bob.userId, username: bob.username, displayName: '', pending: true }],
					status: 'pending'
				}
			],
			requests: []
		});
		expect(await dmsOf(bob)).toEqual({
			dms: [],
			requests: [
				{
					id: dmId,
					other: { id: alice.userId, username: alice.username },
					others: [{ id: alice.userId, username: alice.username, displayName: '', pending: false }]
				}
			]
		});
		expect(await upgradeStatus(alice, dmId)).toBe(101);
		expect(await upgradeStatus(bob, dmId)).toBe(403);
		expect((await bob.get(`/api/rooms/${dmId}/history`)).status).toBe(403);
	});

	it('makes the recipient a member once they accept', async () => {
		const alice = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const dmId = await request(alice, bob);
		expect((await alice.post(`/api/dms/${dmId}/accept`)).status).toBe(404);
		const accepted = await bob.post(`/api/dms/${dmId}/accept`);
		expect(accepted).toMatchObject({ status: 200, body: { id: dmId, status: 'active' } });
		expect(await dmsOf(bob)).toEqual({
			dms: [
				{
					id: dmId,
					other: { id: alice.userId, username: alice.username },
					others: [{ id: alice.userId, username: alice.username, displayName: '', pending: false }],
					status: 'active'
				}
			],
			requests: []
		});
		expect((await dmsOf(alice)).dms[0]?.status).toBe('active');
		expect(await upgradeStatus(bob, dmId)).toBe(101);
	});

	it('removes the request on decline and refuses further requests from that sender', async () => {
		const alice = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const dmId = await request(alice, bob);
		expect((await bob.post(`/api/dms/${dmId}/decline`)).status).toBe(204);
		expect(await dmsOf(bob)).toEqual({ dms: [], requests: [] });
		expect(await upgradeStatus(bob, dmId)).toBe(403);

		const again = await alice.post('/api/dms', { username: bob.username });
		expect(again).toMatchObject({ status: 403, body: { error: expect.any(String) } });
		expect((await dmsOf(bob)).requests).toEqual([]);
		// Bob may still change his mind and write to Alice himself.
		const reopened = await bob.post('/api/dms', { username: alice.username });
		expect(reopened).toMatchObject({ status: 200, body: { id: dmId, status: 'active' } });
		expect(await upgradeStatus(bob, dmId)).toBe(101);
	});

	it('creates the DM at once between users who share a room', async () => {
		const alice = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		await createPrivateRoom(alice, 'Team', [bob]);
		const created = await alice.post<{ id: string }>('/api/dms', { username: bob.username });
		expect(created).toMatchObject({ status: 201, body: { status: 'active' } });
		expect((await dmsOf(bob)).dms.map((dm) => dm.id)).toEqual([created.body.id]);
		expect(await upgradeStatus(bob, created.body.id)).toBe(101);
	});

	it('accepts a pending request when the recipient opens the DM with the sender', async () => {
		const alice = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const dmId = await request(alice, bob);
		const opened = await bob.post('/api/dms', { username: alice.username });
		expect(opened).toMatchObject({ status: 200, body: { id: dmId, status: 'active' } });
		expect((await dmsOf(bob)).requests).toEqual([]);
	});
});
