/**
 * Look-alike usernames: a name whose confusable skeleton is taken is refused like a taken name
 * (409 with a clear `{ error }`), through the API and the register form. The real program.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registeredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

const PASSWORD = 'correct horse battery';
let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

/** A name no other test uses, so each test starts from its own account. */
function freshName(base: string): string {
	return `${base}${Math.random()
		.toString(36)
		.slice(2, 6)
		.replace(/[01ilo|]/g, 'x')}`;
}

describe('look-alike usernames', () => {
	it('refuses aliceI and alicel once alice1 exists, with 409 and a clear error', async () => {
		const stem = freshName('alice');
		await registeredClient(server.url, `${stem}1`, PASSWORD);
		for (const lookalike of [`${stem}I`, `${stem}l`, `${stem}L`, `${stem}i`]) {
			const response = await new ApiClient(server.url).post<{ error: string }>(
				'/api/auth/register',
				{ username: lookalike, password: PASSWORD }
			);
			expect(response.status, lookalike).toBe(409);
			expect(response.body.error).toMatch(/looks too much like an existing name/);
		}
	});

	it('refuses O/0, rn/m and vv/w look-alikes, and still takes a name that only shares letters', async () => {
		const stem = freshName('bob');
		await registeredClient(server.url, `${stem}_rnoon`, PASSWORD);
		for (const lookalike of [`${stem}_m00n`, `${stem}_rnOOn`, `${stem.toUpperCase()}_MOON`]) {
			const response = await new ApiClient(server.url).post('/api/auth/register', {
				username: lookalike,
				password: PASSWORD
			});
			expect(response.status, lookalike).toBe(409);
		}
		await registeredClient(server.url, `${stem}_vvave`, PASSWORD);
		const wave = await new ApiClient(server.url).post('/api/auth/register', {
			username: `${stem}_wave`,
			password: PASSWORD
		});
		expect(wave.status).toBe(409);
		const distinct = await new ApiClient(server.url).post('/api/auth/register', {
			username: `${stem}_moan`,
			password: PASSWORD
		});
		expect(distinct.status).toBe(201);
	});

	it('shows the look-alike refusal on the register form, next to the username field', async () => {
		const stem = freshName('carol');
		await registeredClient(server.url, `${stem}0`, PASSWORD);
		const response = await fetch(new URL('/register', server.url), {
			method: 'POST',
			headers: {
				origin: server.url,
				'content-type': 'application/x-www-form-urlencoded',
				accept: 'text/html'
			},
			body: new URLSearchParams({ username: `${stem}O`, password: PASSWORD }).toString(),
			redirect: 'manual'
		});
		expect(response.status).toBe(409);
		expect(await response.text()).toMatch(/looks too much like an existing name/);
	});
});
