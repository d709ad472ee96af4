/**
 * Logging out on one instance closes that session's sockets on every instance at once (the
 * bus's `parley:control` channel), not only at their next reconnect. Two real Parley processes
 * on one DATA_DIR and a real redis-server.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/lib/protocol/wire';
import { ApiClient, registeredClient } from '../support/api';
import { startRedis, type RedisHandle } from '../support/redis';
import { makeTempDir, startServer, type ServerHandle } from '../support/server';
import { RawClient } from './gate-raw-client';

let redis: RedisHandle;
let dataDir: string;
let a: ServerHandle;
let b: ServerHandle;
const raws: RawClient[] = [];

beforeAll(async () => {
	redis = await startRedis();
	dataDir = makeTempDir('parley-logout-');
	// One after the other: the first creates the schema, the second finds it.
	a = await startServer({ dataDir, env: { REDIS_URL: redis.url } });
	b = await startServer({ dataDir, env: { REDIS_URL: redis.url } });
}, 60_000);

afterAll(async () => {
	for (const raw of raws) raw.close();
	await Promise.all([a?.stop(), b?.stop()]);
	await redis?.stop();
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

async function open(server: ServerHandle, roomId: string, cookie: string): Promise<RawClient> {
	const raw = await RawClient.open({ syncUrl: server.syncUrl, roomId, cookie, origin: server.url });
	raws.push(raw);
	await raw.sync();
	return raw;
}

describe('logout with several instances', () => {
	it('closes the session’s sockets on the other instance with 4401 and leaves other sessions open', async () => {
		const alice = await registeredClient(a.url);
		const room = await alice.post<{ id: string }>('/api/rooms', {
			name: 'everywhere',
			visibility: 'private'
		});
		expect(room.status).toBe(201);
		const laptop = new ApiClient(a.url);
		const login = await laptop.post('/api/auth/login', {
			username: alice.username,
			password: 'correct horse battery'
		});
		expect(login.status).toBe(200);

		const onB = await open(b, room.body.id, alice.cookie ?? '');
		const laptopOnB = await open(b, room.body.id, laptop.cookie ?? '');
		expect((await alice.post('/api/auth/logout')).status).toBe(204);

		await onB.waitFor(() => onB.closeEvent !== null, 5_000, 'the socket on B to close');
		expect(onB.closeEvent?.code).toBe(CloseCode.UNAUTHORIZED);
		await laptopOnB.sync();
		expect(laptopOnB.closeEvent).toBeNull();
	});
});
