/**
 * Gate rule 6, sockets per user: past MAX_CONNECTIONS_PER_USER the upgrade is refused with 429
 * before it happens, and a closed socket frees its place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPrivateRoom, registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;
let alice: RegisteredClient;
let roomId: string;
const sockets: WebSocket[] = [];

type Outcome = { opened: WebSocket } | { refused: number };

function connect(): Promise<Outcome> {
	return new Promise((resolve) => {
		const ws = new WebSocket(`${server.syncUrl}/${roomId}`, {
			headers: { cookie: alice.cookie ?? '', origin: server.url }
		});
		ws.on('open', () => {
			sockets.push(ws);
			resolve({ opened: ws });
		});
		ws.on('unexpected-response', (_request, response) => {
			ws.terminate();
			resolve({ refused: response.statusCode ?? 0 });
		});
		ws.on('error', () => undefined);
	});
}

beforeAll(async () => {
	server = await startServer({ env: { MAX_CONNECTIONS_PER_USER: '2' } });
	alice = await registeredClient(server.url);
	roomId = await createPrivateRoom(alice, 'limits');
});

afterAll(async () => {
	for (const ws of sockets) ws.terminate();
	await server.dispose();
});

describe('connections per user', () => {
	it('refuses the upgrade past the limit with 429 and takes the user back once a socket closes', async () => {
		const first = await connect();
		const second = await connect();
		expect('opened' in first && 'opened' in second).toBe(true);

		expect(await connect()).toEqual({ refused: 429 });

		if (!('opened' in first)) throw new Error('first socket did not open');
		const closed = new Promise((done) => first.opened.once('close', done));
		first.opened.close();
		await closed;
		// The server counts the socket out when its own side closes, right after ours.
		let again = await connect();
		for (let tries = 0; 'refused' in again && tries < 20; tries++) {
			await new Promise((done) => setTimeout(done, 25));
			again = await connect();
		}
		expect('opened' in again).toBe(true);
	});
});
