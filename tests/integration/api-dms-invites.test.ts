/**
 * Direct messages and invite links through the HTTP API and their pages: the real program
 * (startServer) after a build. Expiry is made real by moving an invite's expires_at in the
 * server's own SQLite file, as time passing would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { ApiClient, createPrivateRoom, registeredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

type User = Awaited<ReturnType<typeof registeredClient>>;
interface RoomBody {
	id: string;
	name: string;
	visibility: string;
}
interface InviteBody {
	id: string;
	token: string;
	url: string;
	expiresAt: string;
	maxUses: number | null;
	uses: number;
}

const HOUR_MS = 60 * 60 * 1000;
let server: ServerHandle;
let owner: User;
let member: User;
let bob: User;

beforeAll(async () => {
	server = await startServer();
	[owner, member, bob] = await Promise.all([
		registeredClient(server.url),
		registeredClient(server.url),
		registeredClient(server.url)
	]);
});

afterAll(async () => {
	await server?.dispose();
});

async function createRoom(user: User, name: string, visibility: 'public' | 'private') {
	const response = await user.post<RoomBody>('/api/rooms', { name, visibility });
	expect(response.status).toBe(201);
	return response.body;
}

/** A private room of `owner` with `member` in it. */
async function teamRoom(): Promise<RoomBody> {
	const room = await createRoom(owner, 'Team', 'private');
	const added = await owner.post(`/api/rooms/${room.id}/members`, { username: member.username });
	expect(added.status).toBe(201);
	return room;
}

async function createInvite(roomId: string, body?: unknown): Promise<InviteBody> {
	const response = await owner.post<InviteBody>(`/api/rooms/${roomId}/invites`, body);
	expect(response.status).toBe(201);
	return response.body;
}

async function memberIds(roomId: string): Promise<string[]> {
	const response = await owner.get<{ members: { id: string }[] }>(`/api/rooms/${roomId}/members`);
	expect(response.status).toBe(200);
	return response.body.members.map((entry) => entry.id);
}

/** Moves an invite's expiry into the past in the server's database file. */
function expireInvite(inviteId: string): void {
	const db = openDatabase(databaseFile(server.dataDir));
	try {
		const changed = db
			.prepare('UPDATE invites SET expires_at = ? WHERE id = ?')
			.run(Date.now() - 1, inviteId);
		expect(changed.changes).toBe(1);
	} finally {
		db.close();
	}
}

function getPage(path: string, client?: ApiClient): Promise<Response> {
	const headers = new Headers({ accept: 'text/html' });
	if (client?.cookie) headers.set('cookie', client.cookie);
	return fetch(new URL(path, server.url), { headers, redirect: 'manual' });
}

function postForm(path: string, client: ApiClient, fields: Record<string, string> = {}) {
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

/** Two new users who share a room, so a DM between them starts at once (no request). */
async function acquaintances(): Promise<[User, User]> {
	const alice = await registeredClient(server.url);
	const carol = await registeredClient(server.url);
	await createPrivateRoom(alice, 'Shared', [carol]);
	return [alice, carol];
}

describe('direct messages', () => {
	it('creates a dm with 201, then answers 200 with the same one from either side', async () => {
		const [alice, carol] = await acquaintances();
		const created = await alice.post<RoomBody & { kind: string }>('/api/dms', {
			username: carol.username
		});
		expect(created).toMatchObject({
			status: 201,
			body: {
				id: expect.any(String),
				name: `${alice.username} & ${carol.username}`,
				visibility: 'private',
				kind: 'dm',
				status: 'active'
			}
		});
		const again = await alice.post('/api/dms', { username: carol.username.toUpperCase() });
		expect(again).toMatchObject({ status: 200, body: created.body });
		const reverse = await carol.post('/api/dms', { username: alice.username });
		expect(reverse).toMatchObject({ status: 200, body: created.body });

		const aliceDms = await alice.get('/api/dms');
		expect(aliceDms).toMatchObject({
			status: 200,
			body: {
				dms: [{ id: created.body.id, other: { id: carol.userId, username: carol.username } }]
			}
		});
		const carolDms = await carol.get('/api/dms');
		expect(carolDms.body).toEqual({
			dms: [
				{
					id: created.body.id,
					other: { id: alice.userId, username: alice.username },
					others: [{ id: alice.userId, username: alice.username, displayName: '', pending: false }],
					status: 'active'
				}
			],
			requests: []
		});
	});

	it('refuses a dm with yourself (400), an unknown user (404) and bad input (400)', async () => {
		const alice = await registeredClient(server.url);
		expect((await alice.post('/api/dms', { username: alice.username })).status).toBe(400);
		expect((await alice.post('/api/dms', { username: 'nobody_here_at_all' })).status).toBe(404);
		expect((await alice.post('/api/dms', {})).status).toBe(400);
		expect((await alice.get<{ dms: unknown[] }>('/api/dms')).body.dms).toEqual([]);
	});

	it('keeps dms out of the room lists and refuses to add, remove, join or invite (403)', async () => {
		const [alice, carol] = await acquaintances();
		const dm = (await alice.post<RoomBody>('/api/dms', { username: carol.username })).body;
		const rooms = await alice.get<{ rooms: { id: string }[] }>('/api/rooms');
		expect(rooms.body.rooms.map((room) => room.id)).not.toContain(dm.id);
		const directory = await bob.get<{ rooms: { id: string }[] }>('/api/rooms/public');
		expect(directory.body.rooms.map((room) => room.id)).not.toContain(dm.id);

		const add = await alice.post(`/api/rooms/${dm.id}/members`, { username: bob.username });
		const remove = await alice.delete(`/api/rooms/${dm.id}/members/${carol.userId}`);
		const leave = await carol.delete(`/api/rooms/${dm.id}/members/${carol.userId}`);
		const join = await bob.post(`/api/rooms/${dm.id}/join`);
		const invite = await alice.post(`/api/rooms/${dm.id}/invites`, {});
		for (const response of [add, remove, leave, join, invite]) {
			expect(response).toMatchObject({ status: 403, body: { error: expect.any(String) } });
		}
		const members = await carol.get<{ members: { id: string }[] }>(`/api/rooms/${dm.id}/members`);
		expect(members.body.members.map((entry) => entry.id).sort()).toEqual(
			[alice.userId, carol.userId].sort()
		);
	});

	it('opens a dm from the /dms form and redirects to it; the page lists it by name', async () => {
		const [alice, carol] = await acquaintances();
		const response = await postForm('/dms?/open', alice, { username: carol.username });
		expect(response.status).toBe(303);
		const location = response.headers.get('location') ?? '';
		expect(location).toMatch(/^\/rooms\/[a-z0-9]+$/);
		const page = await getPage('/dms', carol);
		const html = await page.text();
		expect(html).toContain('Direct messages');
		// The link goes to the DM and is named after the other person (hrefs are page-relative).
		expect(html).toContain(`${location}">${alice.username}</a>`);
		const self = await postForm('/dms?/open', alice, { username: alice.username });
		expect(self.status).toBe(400);
	});

	it('sends signed-out visitors of /dms to the login page', async () => {
		const response = await getPage('/dms');
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/login?redirectTo=%2Fdms');
	});
});

describe('invites', () => {
	it('lets the owner create an invite with defaults and with limits', async () => {
		const room = await teamRoom();
		const before = Date.now();
		const plain = await createInvite(room.id);
		expect(plain.token).toMatch(/^[a-z2-7]{24}$/);
		expect(plain.url).toBe(`${server.url}/invite/${plain.token}`);
		const lifetime = Date.parse(plain.expiresAt) - before;
		expect(lifetime).toBeGreaterThanOrEqual(72 * HOUR_MS - 60_000);
		expect(lifetime).toBeLessThanOrEqual(72 * HOUR_MS + 60_000);
		expect(plain.maxUses).toBeNull();

		const limited = await createInvite(room.id, { expiresInHours: 1, maxUses: 5 });
		expect(limited.maxUses).toBe(5);
		expect(Date.parse(limited.expiresAt) - before).toBeLessThanOrEqual(HOUR_MS + 60_000);
	});

	it('refuses bad options with 400', async () => {
		const room = await teamRoom();
		for (const body of [
			{ expiresInHours: 0 },
			{ expiresInHours: 721 },
			{ expiresInHours: 1.5 },
			{ maxUses: 0 },
			{ maxUses: 1001 },
			{ maxUses: '3' }
		]) {
			expect((await owner.post(`/api/rooms/${room.id}/invites`, body)).status).toBe(400);
		}
	});

	it('refuses invite creation to a member who is not the owner (403) and to strangers', async () => {
		const room = await teamRoom();
		const byMember = await member.post(`/api/rooms/${room.id}/invites`, {});
		expect(byMember).toMatchObject({ status: 403, body: { error: expect.any(String) } });
		expect((await bob.post(`/api/rooms/${room.id}/invites`, {})).status).toBe(403);
		expect((await member.get(`/api/rooms/${room.id}/invites`)).status).toBe(403);
		expect((await owner.post('/api/rooms/doesnotexist/invites', {})).status).toBe(404);
	});

	it('admits a visitor who accepts, once, and lists the use to the owner', async () => {
		const room = await teamRoom();
		const invite = await createInvite(room.id, { expiresInHours: 1, maxUses: 1 });
		// A member following the link just gets the room, without using it up.
		const byMember = await member.post(`/api/invites/${invite.token}/accept`);
		expect(byMember).toMatchObject({ status: 200, body: { roomId: room.id } });
		const accepted = await bob.post(`/api/invites/${invite.token}/accept`);
		expect(accepted).toMatchObject({ status: 200, body: { roomId: room.id } });
		expect(await memberIds(room.id)).toContain(bob.userId);
		const late = await registeredClient(server.url);
		const refused = await late.post(`/api/invites/${invite.token}/accept`);
		expect(refused).toMatchObject({ status: 410, body: { error: expect.stringMatching(/used/) } });
		expect(await memberIds(room.id)).not.toContain(late.userId);
		const listed = await owner.get<{ invites: InviteBody[] }>(`/api/rooms/${room.id}/invites`);
		expect(listed.body.invites.map((entry) => entry.id)).not.toContain(invite.id);
	});

	it('answers 410 for an expired invite and adds nobody', async () => {
		const room = await teamRoom();
		const invite = await createInvite(room.id);
		expireInvite(invite.id);
		const visitor = await registeredClient(server.url);
		const response = await visitor.post(`/api/invites/${invite.token}/accept`);
		expect(response).toMatchObject({
			status: 410,
			body: { error: expect.stringMatching(/expired/) }
		});
		expect(await memberIds(room.id)).not.toContain(visitor.userId);
		const page = await getPage(`/invite/${invite.token}`, visitor);
		expect(page.status).toBe(410);
		expect(await page.text()).toContain('This invite link has expired.');
	});

	it('lists active invites to the owner and revokes them (204); a revoked one answers 410', async () => {
		const room = await teamRoom();
		const invite = await createInvite(room.id);
		const listed = await owner.get<{ invites: InviteBody[] }>(`/api/rooms/${room.id}/invites`);
		expect(listed.status).toBe(200);
		expect(listed.body.invites).toContainEqual({
			id: invite.id,
			createdAt: expect.any(String),
			expiresAt: invite.expiresAt,
			maxUses: null,
			uses: 0
		});
		expect(JSON.stringify(listed.body)).not.toContain(invite.token);

		expect((await member.delete(`/api/rooms/${room.id}/invites/${invite.id}`)).status).toBe(403);
		expect((await owner.delete(`/api/rooms/${room.id}/invites/${invite.id}`)).status).toBe(204);
		expect((await owner.delete(`/api/rooms/${room.id}/invites/unknown`)).status).toBe(404);
		const after = await owner.get<{ invites: InviteBody[] }>(`/api/rooms/${room.id}/invites`);
		expect(after.body.invites.map((entry) => entry.id)).not.toContain(invite.id);

		const visitor = await registeredClient(server.url);
		const response = await visitor.post(`/api/invites/${invite.token}/accept`);
		expect(response).toMatchObject({
			status: 410,
			body: { error: expect.stringMatching(/revoked/) }
		});
		expect(await memberIds(room.id)).not.toContain(visitor.userId);
	});

	it('answers 404 for an unknown token and 401 without a session', async () => {
		const visitor = await registeredClient(server.url);
		expect((await visitor.post('/api/invites/aaaaaaaaaaaaaaaaaaaaaaaa/accept')).status).toBe(404);
		const page = await getPage('/invite/aaaaaaaaaaaaaaaaaaaaaaaa', visitor);
		expect(page.status).toBe(404);
		const anonymous = new ApiClient(server.url);
		for (const response of await Promise.all([
			anonymous.post('/api/invites/whatever/accept'),
			anonymous.get('/api/dms'),
			anonymous.post('/api/dms', { username: 'x' }),
			anonymous.get('/api/rooms/any/invites'),
			anonymous.post('/api/rooms/any/invites', {}),
			anonymous.delete('/api/rooms/any/invites/any')
		])) {
			expect(response).toMatchObject({ status: 401, body: { error: expect.any(String) } });
		}
	});

	it('shows the invite page with a Join button and joins through its form', async () => {
		const room = await teamRoom();
		const invite = await createInvite(room.id);
		const signedOut = await getPage(`/invite/${invite.token}`);
		expect(signedOut.status).toBe(303);
		expect(signedOut.headers.get('location')).toBe(
			`/login?redirectTo=${encodeURIComponent(`/invite/${invite.token}`)}`
		);

		const visitor = await registeredClient(server.url);
		const page = await getPage(`/invite/${invite.token}`, visitor);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Join Team');
		const joined = await postForm(`/invite/${invite.token}`, visitor);
		expect(joined.status).toBe(303);
		expect(joined.headers.get('location')).toBe(`/rooms/${room.id}`);
		expect(await memberIds(room.id)).toContain(visitor.userId);
	});
});
