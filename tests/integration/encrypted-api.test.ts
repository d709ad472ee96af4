/**
 * Encrypted rooms through the HTTP API (docs/design.md "Encrypted rooms"): the flag chosen at
 * creation (DMs encrypted by default), the to-device channel (sealed key shares from a device of
 * the caller, read and acknowledged only by their device), and the gate refusing plaintext in an
 * encrypted room over a real socket. The real program (startServer) after a build.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyText } from '../../src/lib/protocol/device-keys';
import { createSession, encryptItem, sealShare } from '../../src/lib/protocol/sender-keys';
import { encodePayload } from '../../src/lib/protocol/payload';
import { registeredClient, type RegisteredClient } from '../support/api';
import { registerTestDevice, signedMessage, type TestDevice } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { openSummaries } from '../support/summary-client';
import { connectAs } from '../support/sync-client';

let server: ServerHandle;
let alice: RegisteredClient;
let bob: RegisteredClient;
let aliceDevice: TestDevice;
let bobDevice: TestDevice;

beforeAll(async () => {
	server = await startServer();
	[alice, bob] = await Promise.all([registeredClient(server.url), registeredClient(server.url)]);
	[aliceDevice, bobDevice] = await Promise.all([
		registerTestDevice(alice),
		registerTestDevice(bob)
	]);
});

afterAll(async () => {
	await server?.dispose();
});

/** A sealed share from alice's device to `to` (its agreement key), as a browser makes it. */
function sealedFor(to: TestDevice): string {
	const session = createSession(new Uint8Array(randomBytes(48)));
	const toAgreementKey = decodeKeyText(to.agreementKey, 32);
	if (toAgreementKey === null) throw new Error('bad key');
	return sealShare(
		{ roomId: 'r', sessionId: session.sessionId, index: 0, chainKey: session.chainKey },
		{ fromDevice: aliceDevice.id, toDevice: to.id, toAgreementKey },
		x25519.utils.randomSecretKey(),
		new Uint8Array(randomBytes(24))
	);
}

describe('encrypted rooms and DMs', () => {
	it('keeps the flag chosen at creation', async () => {
		const plain = await alice.post<{ encrypted: boolean }>('/api/rooms', {
			name: 'Plain',
			visibility: 'private'
		});
		expect(plain.body.encrypted).toBe(false);
		const secret = await alice.post<{ id: string; encrypted: boolean }>('/api/rooms', {
			name: 'Secret',
			visibility: 'private',
			encrypted: true
		});
		expect(secret.status).toBe(201);
		expect(secret.body.encrypted).toBe(true);
		const rooms = await alice.get<{ rooms: { id: string; encrypted: boolean }[] }>('/api/rooms');
		expect(rooms.body.rooms).toContainEqual(
			expect.objectContaining({ id: secret.body.id, encrypted: true })
		);
		const bad = await alice.post('/api/rooms', {
			name: 'x',
			visibility: 'private',
			encrypted: 'yes'
		});
		expect(bad.status).toBe(400);
	});

	it('refuses a plaintext message in an encrypted room and admits an encrypted one', async () => {
		const room = await alice.post<{ id: string }>('/api/rooms', {
			name: 'Gate',
			visibility: 'private',
			encrypted: true
		});
		const client = connectAs({ ...alice, signer: aliceDevice }, server, room.body.id);
		try {
			client.send('in the clear');
			await client.waitFor(() => client.denied.length > 0, 10_000, 'a refusal');
			expect(client.denied[0]).toMatch(/^rule 2: an encrypted room’s message is encrypted/);
		} finally {
			client.destroy();
		}
		const sealedClient = connectAs({ ...alice, signer: aliceDevice }, server, room.body.id);
		try {
			const id = randomUUID();
			const { enc } = encryptItem(
				createSession(new Uint8Array(randomBytes(48))),
				{ roomId: room.body.id, kind: 'message', itemId: id, author: alice.userId },
				encodePayload({ text: 'sealed' }),
				new Uint8Array(randomBytes(24))
			);
			sealedClient.doc.getArray('messages').push([
				signedMessage(aliceDevice, room.body.id, {
					id,
					author: alice.userId,
					text: '',
					ts: Date.now(),
					enc
				})
			]);
			await sealedClient.waitForStored();
			expect(sealedClient.denied).toEqual([]);
		} finally {
			sealedClient.destroy();
		}
	});
});

describe('the to-device channel', () => {
	it('relays a sealed share to its device only, until that device acknowledges it', async () => {
		const body = sealedFor(bobDevice);
		const sent = await alice.post<{ sent: number }>('/api/to-device', {
			from: aliceDevice.id,
			messages: [{ to: bobDevice.id, body, sig: aliceDevice.sign(new Uint8Array([1])) }]
		});
		expect(sent.status).toBe(201);
		expect(sent.body.sent).toBe(1);

		// Alice cannot read bob's inbox, nor send from bob's device.
		expect((await alice.get(`/api/to-device?device=${bobDevice.id}`)).status).toBe(403);
		const spoofed = await alice.post('/api/to-device', {
			from: bobDevice.id,
			messages: [{ to: aliceDevice.id, body, sig: aliceDevice.sign(new Uint8Array([1])) }]
		});
		expect(spoofed.status).toBe(403);

		const inbox = await bob.get<{
			messages: { id: string; fromDevice: string; fromUser: string; body: string }[];
		}>(`/api/to-device?device=${bobDevice.id}`);
		expect(inbox.status).toBe(200);
		expect(inbox.body.messages).toEqual([
			expect.objectContaining({ fromDevice: aliceDevice.id, fromUser: alice.userId, body })
		]);
		const ids = inbox.body.messages.map((message) => message.id);
		expect((await alice.post('/api/to-device/ack', { device: bobDevice.id, ids })).status).toBe(
			403
		);
		expect((await bob.post('/api/to-device/ack', { device: bobDevice.id, ids })).status).toBe(204);
		const after = await bob.get<{ messages: unknown[] }>(`/api/to-device?device=${bobDevice.id}`);
		expect(after.body.messages).toEqual([]);
	});

	it('answers 400 for a malformed share, 404 for an unknown device, and changes nothing', async () => {
		const malformed = await alice.post('/api/to-device', {
			from: aliceDevice.id,
			messages: [
				{ to: bobDevice.id, body: 'plain text key', sig: aliceDevice.sign(new Uint8Array([1])) }
			]
		});
		expect(malformed.status).toBe(400);
		expect((malformed.body as { error: string }).error).toMatch(/sealed share/);
		const unknown = await alice.post('/api/to-device', {
			from: aliceDevice.id,
			messages: [
				{
					to: bobDevice.id,
					body: sealedFor(bobDevice),
					sig: aliceDevice.sign(new Uint8Array([1]))
				},
				{
					to: 'a'.repeat(24),
					body: sealedFor(bobDevice),
					sig: aliceDevice.sign(new Uint8Array([1]))
				}
			]
		});
		expect(unknown.status).toBe(404);
		const inbox = await bob.get<{ messages: unknown[] }>(`/api/to-device?device=${bobDevice.id}`);
		expect(inbox.body.messages).toEqual([]);
		expect((await bob.get('/api/to-device?device=nope')).status).toBe(400);
	});

	it('tells the recipient’s user sockets that their inbox has something (and nobody else’s)', async () => {
		const bobFeed = openSummaries(server, bob.cookie);
		const aliceFeed = openSummaries(server, alice.cookie);
		try {
			await bobFeed.waitFor(() => bobFeed.rooms() !== null, 'bob’s snapshot');
			await aliceFeed.waitFor(() => aliceFeed.rooms() !== null, 'alice’s snapshot');
			const inboxFrames = (frames: typeof bobFeed.frames) =>
				frames.filter((frame) => frame.type === 'inbox').length;
			const sent = await alice.post('/api/to-device', {
				from: aliceDevice.id,
				messages: [
					{
						to: bobDevice.id,
						body: sealedFor(bobDevice),
						sig: aliceDevice.sign(new Uint8Array([1]))
					}
				]
			});
			expect(sent.status).toBe(201);
			await bobFeed.waitFor(() => inboxFrames(bobFeed.frames) === 1, 'bob’s inbox notice');
			// A refused send tells nobody; the sender hears nothing of its own send.
			const refused = await alice.post('/api/to-device', {
				from: bobDevice.id,
				messages: [
					{
						to: bobDevice.id,
						body: sealedFor(bobDevice),
						sig: aliceDevice.sign(new Uint8Array([1]))
					}
				]
			});
			expect(refused.status).toBe(403);
			// A later frame on the same sockets proves nothing else was queued before it.
			const roomId = (
				await alice.post<{ id: string }>('/api/rooms', { name: 'After', visibility: 'private' })
			).body.id;
			await aliceFeed.waitFor(() => aliceFeed.rooms()?.has(roomId) === true, 'alice’s new room');
			expect(inboxFrames(aliceFeed.frames)).toBe(0);
			expect(inboxFrames(bobFeed.frames)).toBe(1);
		} finally {
			bobFeed.close();
			aliceFeed.close();
		}
	});
});
