/**
 * No open redirect: the three places that follow `redirectTo` (GET /login and GET /register
 * for a signed-in user, the login form action) answer with a Location on this site, whatever
 * the query holds. The real program (startServer) after a build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

const PASSWORD = 'correct horse battery';
/** The payload and its variants: each resolves, somewhere, to another host. */
const PAYLOADS = [
	'/..//evil.example/phish',
	'/\\evil.example/phish',
	'/\\\\evil.example/phish',
	'%2F%2Fevil.example/phish',
	'/%2e%2e//evil.example/phish',
	'/.//evil.example/phish',
	'/..\\/evil.example/phish',
	'/\t/evil.example/phish',
	'/\n/evil.example/phish',
	'/\r\n/evil.example/phish'
];

let server: ServerHandle;
let user: RegisteredClient;

beforeAll(async () => {
	server = await startServer();
	user = await registeredClient(server.url, undefined, PASSWORD);
});

afterAll(async () => {
	await server?.dispose();
});

function query(target: string): string {
	return `?redirectTo=${encodeURIComponent(target)}`;
}

/** The Location a browser would follow, resolved the way it resolves it. */
function expectLocationOnSite(response: Response): void {
	expect(response.status).toBe(303);
	const location = response.headers.get('location') ?? '';
	expect(location).toMatch(/^\/(?![/\\])/);
	expect(new URL(location, server.url).origin).toBe(new URL(server.url).origin);
}

describe('redirectTo', () => {
	it.each(PAYLOADS)(
		'keeps a signed-in GET /login and /register on this site for %j',
		async (payload) => {
			for (const page of ['/login', '/register']) {
				const response = await fetch(new URL(`${page}${query(payload)}`, server.url), {
					headers: { cookie: user.cookie ?? '' },
					redirect: 'manual'
				});
				expectLocationOnSite(response);
			}
		}
	);

	it.each(PAYLOADS)('keeps the login form action on this site for %j', async (payload) => {
		const response = await fetch(new URL(`/login${query(payload)}`, server.url), {
			method: 'POST',
			headers: {
				origin: server.url,
				'content-type': 'application/x-www-form-urlencoded',
				accept: 'text/html'
			},
			body: new URLSearchParams({ username: user.username, password: PASSWORD }).toString(),
			redirect: 'manual'
		});
		expectLocationOnSite(response);
	});

	it('still follows a path on this site', async () => {
		const response = await fetch(new URL(`/login${query('/rooms/abc?x=1')}`, server.url), {
			headers: { cookie: user.cookie ?? '' },
			redirect: 'manual'
		});
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe('/rooms/abc?x=1');
	});
});
