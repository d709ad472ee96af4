/**
 * The sync server's session and size rules on the real program: logging out closes that
 * session's sockets with 4401 (and only that session's), and a frame over MAX_FRAME_BYTES is
 * closed with the named 4413 rather than ws's generic 1009.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	CloseCode,
	MIN_CLIENT_PROTOCOL_VERSION,
	PROTOCOL_VERSION
} from '../../src/lib/protocol/wire';
import { ApiClient } from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { RawClient } from './gate-raw-client';

const MAX_FRAME_BYTES = 4096;

let server: ServerHandle;
let roomId: string;
const raws: RawClient[] = [];

async function open(cookie: string, query?: string): Promise<RawClient> {
	const raw = await RawClient.open({
		syncUrl: server.syncUrl,
		roomId,
		cookie,
		origin: server.url,
		query
	});
	raws.push(raw);
	await raw.sync();
	return raw;
}

beforeAll(async () => {
	server = await startServer({ env: { MAX_FRAME_BYTES: String(MAX_FRAME_BYTES) } });
});

afterAll(async () => {
	for (const raw of raws) raw.close();
	await server?.dispose();
});

describe('sync sessions and frame limits', () => {
	it('closes the sockets of a session that logs out with 4401, leaving the user’s other sessions open', async () => {
		const alice = await signingClient(server.url);
		const room = await alice.post<{ id: string }>('/api/rooms', {
			name: 'sessions',
			visibility: 'private'
		});
		expect(room.status).toBe(201);
		roomId = room.body.id;
		// A second device: the same user logged in again, so a second session.
		const laptop = new ApiClient(server.url);
		const login = await laptop.post('/api/auth/login', {
			username: alice.username,
			password: 'correct horse battery'
		});
		expect(login.status).toBe(200);

		const phoneSocket = await open(alice.cookie ?? '');
		const laptopSocket = await open(laptop.cookie ?? '');
		expect((await alice.post('/api/auth/logout')).status).toBe(204);

		await phoneSocket.waitFor(() => phoneSocket.closeEvent !== null, 5_000, 'phone closed');
		expect(phoneSocket.closeEvent?.code).toBe(CloseCode.UNAUTHORIZED);
		// The laptop's session lives on: its socket still syncs.
		await laptopSocket.sync();
		expect(laptopSocket.closeEvent).toBeNull();
	});

	it('closes a socket that sends a frame over MAX_FRAME_BYTES with 4413', async () => {
		const bob = await signingClient(server.url);
		const room = await bob.post<{ id: string }>('/api/rooms', {
			name: 'frames',
			visibility: 'private'
		});
		roomId = room.body.id;
		const raw = await open(bob.cookie ?? '');
		// Just over the limit, well under ws's own cut-off (twice the limit).
		raw.send(new Uint8Array(MAX_FRAME_BYTES + 100));
		await raw.waitFor(() => raw.closeEvent !== null, 5_000, 'close after a large frame');
		expect(raw.closeEvent?.code).toBe(CloseCode.FRAME_TOO_LARGE);
	});

	it('tells a tab of an older protocol version to reload (4426) and serves the current one', async () => {
		const carol = await signingClient(server.url);
		const room = await carol.post<{ id: string }>('/api/rooms', {
			name: 'versions',
			visibility: 'private'
		});
		roomId = room.body.id;
		const cookie = carol.cookie ?? '';

		const old = await RawClient.open({
			syncUrl: server.syncUrl,
			roomId,
			cookie,
			origin: server.url,
			query: `?v=${MIN_CLIENT_PROTOCOL_VERSION - 1}`
		});
		raws.push(old);
		await old.waitFor(() => old.closeEvent !== null, 5_000, 'close of an outdated client');
		expect(old.closeEvent?.code).toBe(CloseCode.CLIENT_OUTDATED);

		const current = await open(cookie, `?v=${PROTOCOL_VERSION}`);
		expect(current.closeEvent).toBeNull();
		// A stock client names no version and speaks the stock protocol: served as before.
		const stock = await open(cookie);
		expect(stock.closeEvent).toBeNull();

		await expect(
			RawClient.open({
				syncUrl: server.syncUrl,
				roomId,
				cookie,
				origin: server.url,
				query: '?v=1e3'
			})
		).rejects.toThrow('upgrade refused: 400');
	});
});
