/**
 * The HTTP API and the account pages end to end: the real program (startServer) after a
 * build, driven over HTTP like a browser or a script would.
 */
import { Agent, get, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registeredClient, uniqueUsername } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

type User = Awaited<ReturnType<typeof registeredClient>>;
interface RoomBody {
	id: string;
	name: string;
	visibility: string;
	encrypted: boolean;
}

const LOGIN_MAX_ATTEMPTS = 3;
let server: ServerHandle;

beforeAll(async () => {
	// One server for the file. The login limit is low so the 429 test stays short; it counts
	// per username, so the other tests (each with their own users) never reach it.
	server = await startServer({ env: { LOGIN_MAX_ATTEMPTS: String(LOGIN_MAX_ATTEMPTS) } });
});

afterAll(async () => {
	await server?.dispose();
});

function anonymous(): ApiClient {
	return new ApiClient(server.url);
}

async function createRoom(user: User, name: string, visibility: 'public' | 'private') {
	const response = await user.post<RoomBody>('/api/rooms', { name, visibility });
	expect(response.status).toBe(201);
	return response.body;
}

/** A raw request, for bodies ApiClient cannot send (malformed JSON, forms). */
function rawRequest(
	path: string,
	init: RequestInit & { cookie?: string | null }
): Promise<Response> {
	const headers = new Headers(init.headers);
	headers.set('origin', server.url);
	if (init.cookie) headers.set('cookie', init.cookie);
	return fetch(new URL(path, server.url), { ...init, headers, redirect: 'manual' });
}

function postForm(path: string, fields: Record<string, string>, cookie?: string | null) {
	return rawRequest(path, {
		method: 'POST',
		cookie,
		// A browser's accept header: without text/html, SvelteKit answers an action with JSON.
		headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
		body: new URLSearchParams(fields).toString()
	});
}

describe('accounts', () => {
	it('registers a user, answers 201 with id and username, and logs them in', async () => {
		const client = anonymous();
		const username = uniqueUsername('reg');
		const response = await client.post<{ id: string; username: string }>('/api/auth/register', {
			username,
			password: 'correct horse battery'
		});
		expect(response.status).toBe(201);
		expect(response.body).toEqual({ id: expect.any(String), username });
		const cookieLine = response.headers.getSetCookie().join('\n');
		expect(cookieLine).toMatch(/parley_session=.+; .*HttpOnly/i);
		expect(cookieLine).toMatch(/SameSite=Lax/i);
		expect(cookieLine).toMatch(/Path=\//);
		const me = await client.get('/api/me');
		expect(me).toMatchObject({ status: 200, body: { id: response.body.id, username } });
	});

	it('refuses a username already taken, whatever its case, with 409', async () => {
		const user = await registeredClient(server.url);
		const response = await anonymous().post('/api/auth/register', {
			username: user.username.toUpperCase(),
			password: 'another password'
		});
		expect(response).toMatchObject({ status: 409, body: { error: expect.any(String) } });
	});

	it('refuses invalid input and malformed JSON with 400 and a message', async () => {
		const short = await anonymous().post('/api/auth/register', { username: 'ab', password: 'x' });
		expect(short).toMatchObject({
			status: 400,
			body: { error: expect.stringMatching(/at least/) }
		});
		const same = await anonymous().post('/api/auth/register', {
			username: 'samesame',
			password: 'samesame'
		});
		expect(same.status).toBe(400);
		const malformed = await rawRequest('/api/auth/register', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"username": "alice",'
		});
		expect(malformed.status).toBe(400);
		expect(await malformed.json()).toEqual({ error: expect.stringMatching(/JSON/) });
	});

	it('refuses an oversized body with 413', async () => {
		const response = await anonymous().post('/api/auth/login', {
			username: 'alice',
			password: 'x'.repeat(20_000)
		});
		expect(response).toMatchObject({ status: 413, body: { error: expect.any(String) } });
	});

	it('logs in with the right password and refuses wrong ones with one message', async () => {
		const user = await registeredClient(server.url);
		const client = anonymous();
		const ok = await client.post('/api/auth/login', {
			username: user.username,
			password: 'correct horse battery'
		});
		expect(ok).toMatchObject({ status: 200, body: { id: user.userId, username: user.username } });
		expect((await client.get('/api/me')).status).toBe(200);

		const wrong = await anonymous().post<{ error: string }>('/api/auth/login', {
			username: user.username,
			password: 'wrong password'
		});
		const unknown = await anonymous().post<{ error: string }>('/api/auth/login', {
			username: uniqueUsername('ghost'),
			password: 'wrong password'
		});
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(unknown.body.error).toBe(wrong.body.error);
	});

	it('answers 429 with Retry-After after too many login attempts for one username', async () => {
		const user = await registeredClient(server.url);
		for (let i = 0; i < LOGIN_MAX_ATTEMPTS; i++) {
			const attempt = await anonymous().post('/api/auth/login', {
				username: user.username,
				password: 'wrong password'
			});
			expect(attempt.status).toBe(401);
		}
		const limited = await anonymous().post('/api/auth/login', {
			username: user.username,
			password: 'correct horse battery'
		});
		expect(limited).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
	});

	it('logs out with 204, clears the cookie and invalidates the old one', async () => {
		const user = await registeredClient(server.url);
		const oldCookie = user.cookie;
		const response = await user.post('/api/auth/logout');
		expect(response.status).toBe(204);
		expect(user.cookie).toBeNull();
		const replay = new ApiClient(server.url);
		replay.cookie = oldCookie;
		expect((await replay.get('/api/me')).status).toBe(401);
	});

	it('answers 401 with an error to every endpoint that needs a user', async () => {
		const client = anonymous();
		const attempts = [
			client.get('/api/me'),
			client.get('/api/rooms'),
			client.post('/api/rooms', { name: 'x', visibility: 'public' }),
			client.get('/api/rooms/public'),
			client.post('/api/rooms/any/join'),
			client.get('/api/rooms/any/members'),
			client.post('/api/rooms/any/members', { username: 'someone' }),
			client.delete('/api/rooms/any/members/someone')
		];
		for (const response of await Promise.all(attempts)) {
			expect(response).toMatchObject({ status: 401, body: { error: expect.any(String) } });
		}
	});
});

describe('sign-up limit', () => {
	it('answers 429 with Retry-After past REGISTER_MAX_PER_WINDOW sign-ups from one address', async () => {
		const limited = await startServer({
			env: { REGISTER_MAX_PER_WINDOW: '2', REGISTER_WINDOW_SECONDS: '600' }
		});
		try {
			await registeredClient(limited.url);
			await registeredClient(limited.url);
			const third = await new ApiClient(limited.url).post('/api/auth/register', {
				username: uniqueUsername('late'),
				password: 'correct horse battery'
			});
			expect(third).toMatchObject({ status: 429, body: { error: expect.any(String) } });
			expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
		} finally {
			await limited.dispose();
		}
	});
});

describe('rooms', () => {
	let owner: User;
	let bob: User;
	let carol: User;

	beforeAll(async () => {
		[owner, bob, carol] = await Promise.all([
			registeredClient(server.url),
			registeredClient(server.url),
			registeredClient(server.url)
		]);
	});

	it('creates a room with a trimmed name and lists it with the owner role', async () => {
		const room = await createRoom(owner, '  Design  ', 'private');
		expect(room).toEqual({
			id: expect.any(String),
			name: 'Design',
			visibility: 'private',
			encrypted: false
		});
		const list = await owner.get<{ rooms: unknown[] }>('/api/rooms');
		expect(list.status).toBe(200);
		expect(list.body.rooms).toContainEqual({ ...room, kind: 'room', role: 'owner' });
	});

	it('refuses a room with an empty or too long name or an unknown visibility', async () => {
		for (const body of [
			{ name: '   ', visibility: 'public' },
			{ name: 'x'.repeat(81), visibility: 'public' },
			{ name: 'ok', visibility: 'secret' }
		]) {
			expect((await owner.post('/api/rooms', body)).status).toBe(400);
		}
	});

	it('lists public rooms with whether the user joined, and joins them idempotently', async () => {
		const room = await createRoom(owner, 'Lobby', 'public');
		const before = await bob.get<{ rooms: { id: string; joined: boolean }[] }>('/api/rooms/public');
		expect(before.body.rooms).toContainEqual({ id: room.id, name: 'Lobby', joined: false });
		for (let i = 0; i < 2; i++) {
			const join = await bob.post(`/api/rooms/${room.id}/join`);
			const { id, name, visibility } = room;
			expect(join).toMatchObject({ status: 200, body: { id, name, visibility } });
		}
		const after = await bob.get<{ rooms: unknown[] }>('/api/rooms/public');
		expect(after.body.rooms).toContainEqual({ id: room.id, name: 'Lobby', joined: true });
		const mine = await bob.get<{ rooms: unknown[] }>('/api/rooms');
		expect(mine.body.rooms).toContainEqual({ ...room, kind: 'room', role: 'member' });
	});

	it('refuses to join a private room with 403 and an unknown one with 404', async () => {
		const room = await createRoom(owner, 'Private', 'private');
		expect((await bob.post(`/api/rooms/${room.id}/join`)).status).toBe(403);
		expect((await bob.post('/api/rooms/doesnotexist/join')).status).toBe(404);
		const publicList = await bob.get<{ rooms: { id: string }[] }>('/api/rooms/public');
		expect(publicList.body.rooms.map((entry) => entry.id)).not.toContain(room.id);
	});

	it('lets the owner add members; others get 403, unknown users 404, duplicates 409', async () => {
		const room = await createRoom(owner, 'Team', 'private');
		const added = await owner.post(`/api/rooms/${room.id}/members`, { username: bob.username });
		expect(added).toMatchObject({
			status: 201,
			body: {
				id: bob.userId,
				username: bob.username,
				displayName: '',
				avatar: null,
				role: 'member'
			}
		});
		expect(
			(await bob.post(`/api/rooms/${room.id}/members`, { username: carol.username })).status
		).toBe(403);
		expect(
			(await owner.post(`/api/rooms/${room.id}/members`, { username: uniqueUsername('nobody') }))
				.status
		).toBe(404);
		expect(
			(await owner.post(`/api/rooms/${room.id}/members`, { username: bob.username })).status
		).toBe(409);
		expect((await owner.post(`/api/rooms/${room.id}/members`, {})).status).toBe(400);
	});

	it('shows the member list to members only', async () => {
		const room = await createRoom(owner, 'Listed', 'private');
		await owner.post(`/api/rooms/${room.id}/members`, { username: bob.username });
		const list = await bob.get<{ members: unknown[] }>(`/api/rooms/${room.id}/members`);
		expect(list.status).toBe(200);
		expect(list.body.members).toEqual([
			{ id: owner.userId, username: owner.username, displayName: '', avatar: null, role: 'owner' },
			{ id: bob.userId, username: bob.username, displayName: '', avatar: null, role: 'member' }
		]);
		expect((await carol.get(`/api/rooms/${room.id}/members`)).status).toBe(403);
		expect((await carol.get('/api/rooms/doesnotexist/members')).status).toBe(404);
	});

	it('removes members: the owner anyone but themselves, a member only themselves', async () => {
		const room = await createRoom(owner, 'Removals', 'private');
		await owner.post(`/api/rooms/${room.id}/members`, { username: bob.username });
		await owner.post(`/api/rooms/${room.id}/members`, { username: carol.username });
		const base = `/api/rooms/${room.id}/members`;

		expect((await bob.delete(`${base}/${carol.userId}`)).status).toBe(403);
		expect((await owner.delete(`${base}/${owner.userId}`)).status).toBe(403);
		expect((await owner.delete(`${base}/${carol.userId}`)).status).toBe(204);
		expect((await carol.get(base)).status).toBe(403);
		expect((await bob.delete(`${base}/${bob.userId}`)).status).toBe(204);
		const remaining = await owner.get<{ members: { id: string }[] }>(base);
		expect(remaining.body.members.map((member) => member.id)).toEqual([owner.userId]);
	});
});

describe('connections', () => {
	it('keeps an idle keep-alive connection for 65 s, not Node’s 5 s', async () => {
		// A client reusing a pooled connection as the server closes it gets a reset for a request
		// that never arrived (sync-server/main.ts); the header is the server's keepAliveTimeout.
		const agent = new Agent({ keepAlive: true });
		try {
			const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
				get(new URL('/healthz', server.url), { agent }, (response) => {
					response.resume();
					resolve(response.headers);
				}).on('error', reject);
			});
			expect(headers.connection).toBe('keep-alive');
			expect(headers['keep-alive']).toBe('timeout=65');
		} finally {
			agent.destroy();
		}
	});
});

describe('pages', () => {
	it('renders the login and register forms with labelled fields', async () => {
		const login = await rawRequest('/login', { method: 'GET' });
		expect(login.status).toBe(200);
		const loginHtml = await login.text();
		expect(loginHtml).toMatch(/<label[^>]*for="username"[^>]*>Username<\/label>/);
		expect(loginHtml).toMatch(/<label[^>]*for="password"[^>]*>Password<\/label>/);
		expect(loginHtml).toContain('Log in');
		const register = await rawRequest('/register', { method: 'GET' });
		expect(register.status).toBe(200);
		expect(await register.text()).toContain('Create account');
	});

	it('sends signed-out visitors of / and rooms to the login page, keeping where they were going', async () => {
		const home = await rawRequest('/', { method: 'GET' });
		expect(home.status).toBe(303);
		expect(home.headers.get('location')).toBe('/login');
		const room = await rawRequest('/rooms/abc', { method: 'GET' });
		expect(room.status).toBe(303);
		expect(room.headers.get('location')).toBe('/login?redirectTo=%2Frooms%2Fabc');
	});

	it('logs in through the form and follows a same-site redirectTo only', async () => {
		const user = await registeredClient(server.url);
		const fields = { username: user.username, password: 'correct horse battery' };
		const local = await postForm('/login?redirectTo=%2Frooms%2Fabc', fields);
		expect(local.status).toBe(303);
		expect(local.headers.get('location')).toBe('/rooms/abc');
		expect(local.headers.getSetCookie().join('\n')).toMatch(/parley_session=/);

		const foreign = await postForm('/login?redirectTo=%2F%2Fevil.example', fields);
		expect(foreign.status).toBe(303);
		expect(foreign.headers.get('location')).toBe('/');
	});

	it('shows form errors next to the field and in an alert', async () => {
		const response = await postForm('/register', { username: 'ab', password: 'longenough' });
		expect(response.status).toBe(400);
		const html = await response.text();
		expect(html).toMatch(/aria-invalid="true"/);
		expect(html).toMatch(/id="username-error"[^>]*>Username must be at least 3/);
		expect(html).toMatch(/role="alert"[^>]*>\s*Username must be at least 3/);
	});

	it('redirects a signed-in user away from the login page and shows their rooms', async () => {
		const user = await registeredClient(server.url);
		await createRoom(user, 'Kitchen', 'public');
		const login = await rawRequest('/login', { method: 'GET', cookie: user.cookie });
		expect(login.status).toBe(303);
		expect(login.headers.get('location')).toBe('/');
		const home = await rawRequest('/', { method: 'GET', cookie: user.cookie });
		expect(home.status).toBe(200);
		const html = await home.text();
		expect(html).toContain('Your rooms');
		expect(html).toContain('Kitchen');
		expect(html).toContain(user.username);
	});

	it('creates a room through the home page form and lands in it', async () => {
		const user = await registeredClient(server.url);
		const response = await postForm(
			'/?/create',
			{ name: 'Garden', visibility: 'public' },
			user.cookie
		);
		expect(response.status).toBe(303);
		const location = response.headers.get('location') ?? '';
		expect(location).toMatch(/^\/rooms\/[a-z0-9]+$/);
		const rooms = await user.get<{ rooms: { id: string; name: string }[] }>('/api/rooms');
		expect(rooms.body.rooms).toContainEqual(
			expect.objectContaining({ id: location.slice('/rooms/'.length), name: 'Garden' })
		);
	});

	it('joins a public room through the home page form; a missing or unknown room is refused', async () => {
		const [owner, visitor] = await Promise.all([
			registeredClient(server.url),
			registeredClient(server.url)
		]);
		const room = await createRoom(owner, 'Plaza', 'public');
		expect((await postForm('/?/join', {}, visitor.cookie)).status).toBe(400);
		expect((await postForm('/?/join', { roomId: 'nosuchroom' }, visitor.cookie)).status).toBe(404);
		const joined = await postForm('/?/join', { roomId: room.id }, visitor.cookie);
		expect(joined.status).toBe(303);
		expect(joined.headers.get('location')).toBe(`/rooms/${room.id}`);
		const rooms = await visitor.get<{ rooms: { id: string }[] }>('/api/rooms');
		expect(rooms.body.rooms.map((r) => r.id)).toContain(room.id);
	});

	it('removes a member and revokes invites through the members page forms, refusing empty choices', async () => {
		const [owner, member] = await Promise.all([
			registeredClient(server.url),
			registeredClient(server.url)
		]);
		const room = await createRoom(owner, 'Workshop', 'private');
		await owner.post(`/api/rooms/${room.id}/members`, { username: member.username });
		const page = `/rooms/${room.id}/members`;
		expect((await postForm(`${page}?/remove`, {}, owner.cookie)).status).toBe(400);
		expect((await postForm(`${page}?/revokeInvite`, {}, owner.cookie)).status).toBe(400);
		// Only the owner removes others.
		expect(
			(await postForm(`${page}?/remove`, { userId: owner.userId }, member.cookie)).status
		).toBe(403);
		expect(
			(await postForm(`${page}?/remove`, { userId: member.userId }, owner.cookie)).status
		).toBe(200);
		const rooms = await member.get<{ rooms: { id: string }[] }>('/api/rooms');
		expect(rooms.body.rooms.map((r) => r.id)).not.toContain(room.id);
		const unknownInvite = await postForm(
			`${page}?/revokeInvite`,
			{ inviteId: 'nosuchinvite' },
			owner.cookie
		);
		expect(unknownInvite.status).toBe(404);
	});

	it('shows the members page to members and 403 to others', async () => {
		const [owner, member, stranger] = await Promise.all([
			registeredClient(server.url),
			registeredClient(server.url),
			registeredClient(server.url)
		]);
		const room = await createRoom(owner, 'Club', 'private');
		await owner.post(`/api/rooms/${room.id}/members`, { username: member.username });
		const ownerView = await rawRequest(`/rooms/${room.id}/members`, {
			method: 'GET',
			cookie: owner.cookie
		});
		expect(ownerView.status).toBe(200);
		expect(await ownerView.text()).toContain('Add member');
		const memberView = await rawRequest(`/rooms/${room.id}/members`, {
			method: 'GET',
			cookie: member.cookie
		});
		expect(memberView.status).toBe(200);
		expect(await memberView.text()).toContain('Leave room');
		const strangerView = await rawRequest(`/rooms/${room.id}/members`, {
			method: 'GET',
			cookie: stranger.cookie
		});
		expect(strangerView.status).toBe(403);
	});

	it('logs out through the header form and sends the user to the login page', async () => {
		const user = await registeredClient(server.url);
		const response = await postForm('/logout', {}, user.cookie);
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/login');
		expect((await user.get('/api/me')).status).toBe(401);
	});
});
