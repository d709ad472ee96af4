/**
 * Login and sign-up limits against the real program, with clients told apart by address the
 * way a reverse proxy tells them apart: X-Forwarded-For from a TRUSTED_PROXIES peer (the test
 * process on 127.0.0.1 plays the proxy). Each test uses its own 10.x addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registeredClient, uniqueUsername } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

const PASSWORD = 'correct horse battery';
const LOGIN_MAX_ATTEMPTS = 3;
const LOGIN_MAX_FAILURES_PER_ADDRESS = 6;
const REGISTER_MAX_PER_WINDOW = 2;

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer({
		env: {
			TRUSTED_PROXIES: '127.0.0.1',
			LOGIN_MAX_ATTEMPTS: String(LOGIN_MAX_ATTEMPTS),
			LOGIN_MAX_FAILURES_PER_ADDRESS: String(LOGIN_MAX_FAILURES_PER_ADDRESS),
			REGISTER_MAX_PER_WINDOW: String(REGISTER_MAX_PER_WINDOW)
		}
	});
});

afterAll(async () => {
	await server?.dispose();
});

/** A client behind the proxy at `address` (what nginx's $proxy_add_x_forwarded_for sends). */
function clientAt(address: string, url = server.url): ApiClient {
	return new ApiClient(url, { 'x-forwarded-for': address });
}

function registerAt(address: string) {
	return registeredClient(server.url, uniqueUsername(), PASSWORD, {
		'x-forwarded-for': address
	});
}

function logIn(client: ApiClient, username: string, password: string) {
	return client.post('/api/auth/login', { username, password });
}

/** Wrong passwords for `username` from `client` until the account answers 429. */
async function guessUntilRefused(client: ApiClient, username: string): Promise<number[]> {
	const statuses: number[] = [];
	for (let i = 0; i <= LOGIN_MAX_ATTEMPTS + 1; i++) {
		statuses.push((await logIn(client, username, `wrong guess ${i}`)).status);
	}
	return statuses;
}

describe('login limits', () => {
	it('lets the owner log in from their known device after a stranger at their address guessed wrong many times', async () => {
		const victim = await registerAt('10.1.0.1');
		const statuses = await guessUntilRefused(clientAt('10.1.0.1'), victim.username);
		expect(statuses.slice(0, LOGIN_MAX_ATTEMPTS)).toEqual(Array(LOGIN_MAX_ATTEMPTS).fill(401));
		expect(statuses.at(-1)).toBe(429);

		await victim.post('/api/auth/logout');
		const login = await logIn(victim, victim.username, PASSWORD);
		expect(login.status).toBe(200);
		expect(victim.device).not.toBeNull();
	});

	it('lets the owner log in from an address they used before while strangers elsewhere are slowed down', async () => {
		const victim = await registerAt('10.2.0.2');
		const statuses = await guessUntilRefused(clientAt('10.2.0.1'), victim.username);
		expect(statuses.at(-1)).toBe(429);

		// No device cookie, but the address is known: the owner gets in.
		expect((await logIn(clientAt('10.2.0.2'), victim.username, PASSWORD)).status).toBe(200);
		// A third address is a stranger too: even the right password waits out the window.
		const stranger = await logIn(clientAt('10.2.0.3'), victim.username, PASSWORD);
		expect(stranger).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		expect(Number(stranger.headers.get('retry-after'))).toBeGreaterThan(0);
	});

	it('answers 429 to one address trying one password on many usernames past the per-address limit', async () => {
		const sprayer = clientAt('10.3.0.1');
		for (let i = 0; i < LOGIN_MAX_FAILURES_PER_ADDRESS; i++) {
			expect((await logIn(sprayer, uniqueUsername('target'), 'Summer2026!')).status).toBe(401);
		}
		const limited = await logIn(sprayer, uniqueUsername('target'), 'Summer2026!');
		expect(limited).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		// The login form counts the same address: it is no way around the limit.
		const form = await fetch(new URL('/login', server.url), {
			method: 'POST',
			headers: {
				origin: server.url,
				accept: 'text/html',
				'content-type': 'application/x-www-form-urlencoded',
				'x-forwarded-for': '10.3.0.1'
			},
			body: new URLSearchParams({ username: uniqueUsername('target'), password: 'x' }).toString(),
			redirect: 'manual'
		});
		expect(form.status).toBe(429);
		// Someone else behind the same proxy is not affected.
		expect((await logIn(clientAt('10.3.0.2'), uniqueUsername('target'), 'x')).status).toBe(401);
	});

	it('does not count successful logins against the address', async () => {
		const user = await registerAt('10.7.0.1');
		for (let i = 0; i <= LOGIN_MAX_FAILURES_PER_ADDRESS; i++) {
			expect((await logIn(clientAt('10.7.0.1'), user.username, PASSWORD)).status).toBe(200);
		}
	});

	it('keeps the known device of a user working at an address that sprayed past its limit', async () => {
		const user = await registerAt('10.8.0.1');
		const sprayer = clientAt('10.8.0.1');
		for (let i = 0; i <= LOGIN_MAX_FAILURES_PER_ADDRESS; i++) {
			await logIn(sprayer, uniqueUsername('target'), 'Summer2026!');
		}
		expect((await logIn(sprayer, uniqueUsername('target'), 'x')).status).toBe(429);
		expect((await logIn(user, user.username, PASSWORD)).status).toBe(200);
	});
});

describe('client address behind trusted proxies', () => {
	it('limits two clients behind the proxy separately, by the rightmost untrusted hop', async () => {
		await registerAt('10.6.0.1');
		await registerAt('10.6.0.1');
		const third = await clientAt('10.6.0.1').post('/api/auth/register', {
			username: uniqueUsername(),
			password: PASSWORD
		});
		expect(third.status).toBe(429);
		// A client cannot escape by claiming another address before the proxy's own entry.
		const forged = await clientAt('10.9.9.9, 10.6.0.1').post('/api/auth/register', {
			username: uniqueUsername(),
			password: PASSWORD
		});
		expect(forged.status).toBe(429);
		expect((await registerAt('10.6.0.2')).userId).toEqual(expect.any(String));
	});

	it('ignores X-Forwarded-For when TRUSTED_PROXIES is unset', async () => {
		const direct = await startServer({ env: { REGISTER_MAX_PER_WINDOW: '1' } });
		try {
			const first = await clientAt('10.5.0.1', direct.url).post('/api/auth/register', {
				username: uniqueUsername(),
				password: PASSWORD
			});
			expect(first.status).toBe(201);
			const forged = await clientAt('10.5.0.2', direct.url).post('/api/auth/register', {
				username: uniqueUsername(),
				password: PASSWORD
			});
			expect(forged).toMatchObject({ status: 429, body: { error: expect.any(String) } });
		} finally {
			await direct.dispose();
		}
	});
});
