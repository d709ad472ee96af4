/**
 * Group DMs of 3–9 people through the HTTP API (`POST /api/dms` with `{ usernames }`): the real
 * program (startServer) after a build, on SQLite. They follow the DM rules: a fixed set of
 * people, nobody joins, is added, invited or leaves; a request to each who shares no room with
 * the creator; one DM per set of people; the DMS_PER_HOUR limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPrivateRoom, registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

const DMS_PER_HOUR = 3;

interface Person {
	id: string;
	username: string;
	displayName: string;
	pending: boolean;
}
interface DmList {
	dms: { id: string; other: { id: string }; others: Person[]; status: string }[];
	requests: { id: string; other: { id: string; username: string }; others: Person[] }[];
}
interface DmBody {
	id: string;
	name: string;
	visibility: string;
	kind: string;
	status: string;
}

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer({ env: { DMS_PER_HOUR: String(DMS_PER_HOUR) } });
});

afterAll(async () => {
	await server?.dispose();
});

function users(count: number): Promise<RegisteredClient[]> {
	return Promise.all(Array.from({ length: count }, () => registeredClient(server.url)));
}

/** `count` users who share one private room (so DMs between them need no request). */
async function team(count: number): Promise<RegisteredClient[]> {
	const people = await users(count);
	const [owner, ...rest] = people as [RegisteredClient, ...RegisteredClient[]];
	await createPrivateRoom(owner, 'Team', rest);
	return people;
}

async function dmsOf(user: RegisteredClient): Promise<DmList> {
	const response = await user.get<DmList>('/api/dms');
	expect(response.status).toBe(200);
	return response.body;
}

function person(user: RegisteredClient, pending = false): Person {
	return { id: user.userId, username: user.username, displayName: '', pending };
}

/** The people sorted as the API lists them: by username. */
function byName(people: Person[]): Person[] {
	return [...people].sort((a, b) =>
		a.username.toLowerCase().localeCompare(b.username.toLowerCase())
	);
}

async function memberIds(user: RegisteredClient, roomId: string): Promise<string[]> {
	const response = await user.get<{ members: { id: string }[] }>(`/api/rooms/${roomId}/members`);
	expect(response.status).toBe(200);
	return response.body.members.map((member) => member.id).sort();
}

function getPage(path: string, client: RegisteredClient): Promise<Response> {
	const headers = new Headers({ accept: 'text/html' });
	if (client.cookie) headers.set('cookie', client.cookie);
	return fetch(new URL(path, server.url), { headers, redirect: 'manual' });
}

function postForm(path: string, client: RegisteredClient, fields: Record<string, string>) {
	const headers = new Headers({
		origin: server.url,
		accept: 'text/html',
		'content-type': 'application/x-www-form-urlencoded'
	});
	if (client.cookie) headers.set('cookie', client.cookie);
	return fetch(new URL(path, server.url), {
		method: 'POST',
		headers,
		body: new URLSearchParams(fields).toString(),
		redirect: 'manual'
	});
}

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

describe('group dms', () => {
	it('creates a group dm of three with 201, and answers 200 with it for the same set from anyone', async () => {
		const [alice, bob, carol] = (await team(3)) as [
			RegisteredClient,
			RegisteredClient,
			RegisteredClient
		];
		const created = await alice.post<DmBody>('/api/dms', {
			usernames: [carol.username, bob.username]
		});
		const names = [alice.username, bob.username, carol.username].sort((a, b) =>
			a.toLowerCase().localeCompare(b.toLowerCase())
		);
		expect(created).toMatchObject({
			status: 201,
			body: {
				id: expect.any(String),
				name: `${names[0]}, ${names[1]} & ${names[2]}`,
				visibility: 'private',
				kind: 'dm',
				status: 'active'
			}
		});
		const id = created.body.id;
		// Everyone is a member at once (they share a room with alice) and every member sees all.
		for (const user of [alice, bob, carol]) {
			expect(await memberIds(user, id)).toEqual([alice.userId, bob.userId, carol.userId].sort());
		}
		// The same set in another order, another case, from another member: the same DM.
		const again = await bob.post<DmBody>('/api/dms', {
			usernames: [carol.username.toUpperCase(), alice.username]
		});
		expect(again).toMatchObject({ status: 200, body: created.body });
		expect(await dmsOf(carol)).toEqual({
			dms: [
				{
					id,
					other: { id: byName([person(alice), person(bob)])[0]?.id, username: expect.any(String) },
					others: byName([person(alice), person(bob)]),
					status: 'active'
				}
			],
			requests: []
		});
		// A two-person DM of two of them is another conversation.
		const pair = await alice.post<DmBody>('/api/dms', { username: bob.username });
		expect(pair.status).toBe(201);
		expect(pair.body.id).not.toBe(id);
	});

	it('refuses bad sets with 400 and unknown people with 404, creating nothing', async () => {
		const [alice, bob, carol] = (await team(3)) as [
			RegisteredClient,
			RegisteredClient,
			RegisteredClient
		];
		const bad: unknown[] = [
			{ usernames: [bob.username] },
			{ usernames: [] },
			{ usernames: Array.from({ length: 9 }, (_, index) => `someone_${index}`) },
			{ usernames: [bob.username, bob.username.toUpperCase()] },
			{ usernames: [bob.username, alice.username] },
			{ usernames: [bob.username, ''] },
			{ usernames: `${bob.username},${carol.username}` },
			{ usernames: [bob.username, 42] },
			{ username: bob.username, usernames: [bob.username, carol.username] },
			{}
		];
		for (const body of bad) {
			const response = await alice.post('/api/dms', body);
			expect(response, JSON.stringify(body)).toMatchObject({
				status: 400,
				body: { error: expect.any(String) }
			});
		}
		const unknown = await alice.post('/api/dms', {
			usernames: [bob.username, 'nobody_by_this_name']
		});
		expect(unknown).toMatchObject({ status: 404, body: { error: expect.any(String) } });
		expect(await dmsOf(alice)).toEqual({ dms: [], requests: [] });
		expect(await dmsOf(bob)).toEqual({ dms: [], requests: [] });
	});

	it('takes up to 8 others (9 people)', async () => {
		const [alice, ...others] = (await team(9)) as [RegisteredClient, ...RegisteredClient[]];
		const created = await alice.post<DmBody>('/api/dms', {
			usernames: others.map((other) => other.username)
		});
		expect(created.status).toBe(201);
		expect(await memberIds(alice, created.body.id)).toHaveLength(9);
	});

	it('lets nobody add, remove, join, invite or leave (403)', async () => {
		const [alice, bob, carol] = (await team(3)) as [
			RegisteredClient,
			RegisteredClient,
			RegisteredClient
		];
		const [dave] = (await users(1)) as [RegisteredClient];
		const dm = (await alice.post<DmBody>('/api/dms', { usernames: [bob.username, carol.username] }))
			.body;
		const attempts = [
			await alice.post(`/api/rooms/${dm.id}/members`, { username: dave.username }),
			await bob.post(`/api/rooms/${dm.id}/members`, { username: dave.username }),
			await alice.delete(`/api/rooms/${dm.id}/members/${carol.userId}`),
			await carol.delete(`/api/rooms/${dm.id}/members/${carol.userId}`),
			await dave.post(`/api/rooms/${dm.id}/join`),
			await alice.post(`/api/rooms/${dm.id}/invites`, {}),
			await bob.post(`/api/rooms/${dm.id}/invites`, {})
		];
		for (const response of attempts) {
			expect(response).toMatchObject({ status: 403, body: { error: expect.any(String) } });
		}
		expect(await memberIds(bob, dm.id)).toEqual([alice.userId, bob.userId, carol.userId].sort());
		expect(await upgradeStatus(dave, dm.id)).toBe(403);
		const rooms = await alice.get<{ rooms: { id: string }[] }>('/api/rooms');
		expect(rooms.body.rooms.map((room) => room.id)).not.toContain(dm.id);
	});

	it('asks each person who shares no room with the creator; each accepts or declines alone', async () => {
		const [alice, bob] = (await team(2)) as [RegisteredClient, RegisteredClient];
		const [carol, dave] = (await users(2)) as [RegisteredClient, RegisteredClient];
		const created = await alice.post<DmBody>('/api/dms', {
			usernames: [bob.username, carol.username, dave.username]
		});
		expect(created).toMatchObject({ status: 201, body: { status: 'pending' } });
		const id = created.body.id;
		expect(await memberIds(alice, id)).toEqual([alice.userId, bob.userId].sort());
		expect(await upgradeStatus(carol, id)).toBe(403);
		expect(await upgradeStatus(bob, id)).toBe(101);
		// Bob (a member) sees who is still asked; carol sees a request from alice naming everyone.
		expect((await dmsOf(bob)).dms).toEqual([
			{
				id,
				other: expect.any(Object),
				others: byName([person(alice), person(carol, true), person(dave, true)]),
				status: 'pending'
			}
		]);
		expect(await dmsOf(carol)).toEqual({
			dms: [],
			requests: [
				{
					id,
					other: { id: alice.userId, username: alice.username },
					others: byName([person(alice), person(bob), person(dave, true)])
				}
			]
		});

		// Carol accepts: a member, online at once.
		const accepted = await carol.post(`/api/dms/${id}/accept`);
		expect(accepted).toMatchObject({ status: 200, body: { id, status: 'active' } });
		expect(await upgradeStatus(carol, id)).toBe(101);
		// Dave declines: his request alone goes, the others carry on, alice may not ask him again.
		expect((await dave.post(`/api/dms/${id}/decline`)).status).toBe(204);
		expect(await dmsOf(dave)).toEqual({ dms: [], requests: [] });
		expect(await memberIds(alice, id)).toEqual([alice.userId, bob.userId, carol.userId].sort());
		expect((await dmsOf(alice)).dms.map((dm) => [dm.id, dm.status])).toEqual([[id, 'active']]);
		const refused = await alice.post('/api/dms', { usernames: [bob.username, dave.username] });
		expect(refused).toMatchObject({ status: 403, body: { error: expect.any(String) } });
		// Bob, whom dave did not decline, may still start a group with him.
		const fromBob = await bob.post('/api/dms', { usernames: [carol.username, dave.username] });
		expect(fromBob.status).toBe(201);
	});

	it('counts new group dms against DMS_PER_HOUR; reopening one is free', async () => {
		const [alice, ...others] = (await team(6)) as [RegisteredClient, ...RegisteredClient[]];
		const names = others.map((other) => other.username);
		const sets = [names.slice(0, 2), names.slice(1, 3), names.slice(2, 4)];
		for (const set of sets) {
			expect((await alice.post('/api/dms', { usernames: set })).status).toBe(201);
		}
		expect((await alice.post('/api/dms', { usernames: sets[0] })).status).toBe(200);
		const limited = await alice.post('/api/dms', { usernames: names.slice(3, 5) });
		expect(limited).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
	});

	it('opens a group dm from the /dms form (names separated by commas) and lists it by the others', async () => {
		const [alice, bob, carol] = (await team(3)) as [
			RegisteredClient,
			RegisteredClient,
			RegisteredClient
		];
		const response = await postForm('/dms?/open', alice, {
			username: `${bob.username}, ${carol.username}`
		});
		expect(response.status).toBe(303);
		const location = response.headers.get('location') ?? '';
		expect(location).toMatch(/^\/rooms\/[a-z0-9]+$/);
		const html = await (await getPage('/dms', carol)).text();
		const [first, second] = [alice.username, bob.username].sort((a, b) =>
			a.toLowerCase().localeCompare(b.toLowerCase())
		);
		expect(html).toContain(`${location}">${first} and ${second}</a>`);
	});
});
