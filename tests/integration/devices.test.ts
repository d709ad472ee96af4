/**
 * Device keys over the real API (docs/design.md "Device keys"): registering with a proof of
 * possession, listing one's own and another user's devices, removing one's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEVICES_PER_USER, deviceIdOf } from '../../src/lib/protocol/device-keys';
import { ApiClient, registeredClient } from '../support/api';
import { makeDeviceKeys, registerTestDevice, registrationBody } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer({ startTimeoutMs: 60_000 });
}, 90_000);

afterAll(async () => {
	await server?.dispose();
});

interface DevicesBody {
	devices: { id: string; name: string; signingKey: string; agreementKey: string }[];
}

describe('device keys', () => {
	it('registers a device that proves it holds its signing key, and lists it', async () => {
		const ann = await registeredClient(server.url);
		const keys = makeDeviceKeys();
		const created = await ann.post<{ device: { id: string } }>(
			'/api/devices',
			registrationBody(ann.userId, keys, 'Chromium on Linux')
		);
		expect(created.status).toBe(201);
		const listed = await ann.get<DevicesBody>('/api/devices');
		expect(listed.status).toBe(200);
		expect(listed.body.devices).toEqual([
			expect.objectContaining({
				id: created.body.device.id,
				name: 'Chromium on Linux',
				signingKey: keys.signingKey,
				agreementKey: keys.agreementKey
			})
		]);
	});

	it('refuses bad bodies with 400 and { error }', async () => {
		const ann = await registeredClient(server.url);
		const keys = makeDeviceKeys();
		const good = registrationBody(ann.userId, keys);
		const bad: Record<string, unknown>[] = [
			{ ...good, signingKey: 'not a key' },
			{ ...good, agreementKey: `${good.agreementKey}AA` },
			{ ...good, proof: 'x'.repeat(86) + '=' },
			{ ...good, name: '' },
			{ ...good, name: 'n'.repeat(81) },
			{ name: good.name }
		];
		for (const body of bad) {
			const response = await ann.post<{ error: string }>('/api/devices', body);
			expect(response.status, JSON.stringify(body)).toBe(400);
			expect(typeof response.body.error).toBe('string');
		}
		expect((await ann.get<DevicesBody>('/api/devices')).body.devices).toEqual([]);
	});

	it('refuses a key the caller does not hold, or one proven for another account', async () => {
		const ann = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const keys = makeDeviceKeys();
		// Signed by another key.
		const forged = {
			...registrationBody(ann.userId, keys),
			proof: makeDeviceKeys().sign(new Uint8Array(1))
		};
		const refused = await ann.post<{ error: string }>('/api/devices', forged);
		expect(refused.status).toBe(400);
		expect(refused.body.error).toMatch(/proof/);
		// Ann's proof replayed by Bob: it names Ann's account.
		const replayed = await bob.post('/api/devices', registrationBody(ann.userId, keys));
		expect(replayed.status).toBe(400);
		// A key already registered, even with a valid proof.
		expect((await ann.post('/api/devices', registrationBody(ann.userId, keys))).status).toBe(201);
		const again = await bob.post<{ error: string }>(
			'/api/devices',
			registrationBody(bob.userId, keys)
		);
		expect(again.status).toBe(409);
		expect(again.body.error).toMatch(/already registered/);
	});

	it('names a device by its key, so registering again (a lost answer) gives the same device; a removed one stays removed', async () => {
		const ann = await registeredClient(server.url);
		const keys = makeDeviceKeys();
		const body = registrationBody(ann.userId, keys, 'Chromium on Linux');
		const first = await ann.post<{ device: { id: string } }>('/api/devices', body);
		expect(first.status).toBe(201);
		// The browser signs offline under this id before it could register.
		expect(first.body.device.id).toBe(deviceIdOf(keys.signingKey));
		expect(first.body.device.id).toMatch(/^[a-z2-7]{24}$/);
		const again = await ann.post<{ device: { id: string } }>('/api/devices', body);
		expect(again.status).toBe(200);
		expect(again.body.device.id).toBe(first.body.device.id);
		expect((await ann.get<DevicesBody>('/api/devices')).body.devices).toHaveLength(1);
		// Two requests at once make one device.
		const other = makeDeviceKeys();
		const racing = await Promise.all(
			[0, 1, 2].map(() =>
				ann.post<{ device: { id: string } }>('/api/devices', registrationBody(ann.userId, other))
			)
		);
		expect(racing.map((response) => response.status).sort()).toEqual([200, 200, 201]);
		expect(new Set(racing.map((response) => response.body.device.id))).toEqual(
			new Set([deviceIdOf(other.signingKey)])
		);
		expect((await ann.get<DevicesBody>('/api/devices')).body.devices).toHaveLength(2);
		// Removed, the key is never registered again.
		expect((await ann.delete(`/api/devices/${first.body.device.id}`)).status).toBe(204);
		const revived = await ann.post<{ error: string }>('/api/devices', body);
		expect(revived.status).toBe(409);
		expect(revived.body.error).toMatch(/already registered/);
		expect((await ann.get<DevicesBody>('/api/devices')).body.devices).toHaveLength(1);
	});

	it('answers 401 without a session', async () => {
		const anonymous = new ApiClient(server.url);
		expect((await anonymous.get('/api/devices')).status).toBe(401);
		const keys = makeDeviceKeys();
		expect((await anonymous.post('/api/devices', registrationBody('x', keys))).status).toBe(401);
		expect((await anonymous.delete('/api/devices/aaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(401);
	});

	it('shows a user’s public keys to another signed-in user, never removed devices', async () => {
		const ann = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const kept = await registerTestDevice(ann, 'laptop');
		const removed = await registerTestDevice(ann, 'old phone');
		expect((await ann.delete(`/api/devices/${removed.id}`)).status).toBe(204);
		const seen = await bob.get<DevicesBody>(`/api/users/${ann.userId}/devices`);
		expect(seen.status).toBe(200);
		expect(seen.body.devices.map((device) => device.signingKey)).toEqual([kept.signingKey]);
		const unknown = await bob.get<{ error: string }>('/api/users/nobody/devices');
		expect(unknown.status).toBe(404);
		expect(typeof unknown.body.error).toBe('string');
	});

	it('shows one device of a user, removed or not, so what it signed still verifies; 404 for another user’s', async () => {
		const ann = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const removed = await registerTestDevice(ann, 'old phone');
		const before = await bob.get<{ device: { signingKey: string; removedAt: number | null } }>(
			`/api/users/${ann.userId}/devices/${removed.id}`
		);
		expect(before.status).toBe(200);
		expect(before.body.device).toMatchObject({ signingKey: removed.signingKey, removedAt: null });
		expect((await ann.delete(`/api/devices/${removed.id}`)).status).toBe(204);
		const after = await bob.get<{ device: { signingKey: string; removedAt: number | null } }>(
			`/api/users/${ann.userId}/devices/${removed.id}`
		);
		expect(after.status).toBe(200);
		expect(after.body.device.signingKey).toBe(removed.signingKey);
		expect(typeof after.body.device.removedAt).toBe('number');
		const foreign = await bob.get<{ error: string }>(
			`/api/users/${bob.userId}/devices/${removed.id}`
		);
		expect(foreign.status).toBe(404);
		expect(typeof foreign.body.error).toBe('string');
		const anonymous = new ApiClient(server.url);
		expect((await anonymous.get(`/api/users/${ann.userId}/devices/${removed.id}`)).status).toBe(
			401
		);
	});

	it('lets only the owner remove a device, once', async () => {
		const ann = await registeredClient(server.url);
		const bob = await registeredClient(server.url);
		const device = await registerTestDevice(ann);
		const foreign = await bob.delete<{ error: string }>(`/api/devices/${device.id}`);
		expect(foreign.status).toBe(404);
		expect(typeof foreign.body.error).toBe('string');
		expect((await ann.delete(`/api/devices/${device.id}`)).status).toBe(204);
		expect((await ann.delete(`/api/devices/${device.id}`)).status).toBe(404);
		expect((await ann.get<DevicesBody>('/api/devices')).body.devices).toEqual([]);
	});

	it(`caps an account at ${MAX_DEVICES_PER_USER} active devices`, async () => {
		const ann = await registeredClient(server.url);
		const devices = [];
		for (let i = 0; i < MAX_DEVICES_PER_USER; i++) devices.push(await registerTestDevice(ann));
		const over = await ann.post<{ error: string }>(
			'/api/devices',
			registrationBody(ann.userId, makeDeviceKeys())
		);
		expect(over.status).toBe(409);
		expect(typeof over.body.error).toBe('string');
		expect((await ann.delete(`/api/devices/${devices[0]?.id ?? ''}`)).status).toBe(204);
		await registerTestDevice(ann);
	});
});
