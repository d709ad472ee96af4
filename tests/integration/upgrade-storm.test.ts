/**
 * A storm of upgrades on the real program: they wait for their turn (sync-server/turn-pacer.ts),
 * and a client that gives up meanwhile (its TCP connection reset) must cost nothing but its own
 * upgrade: Node drops its HTTP error listener when it hands the socket over for the upgrade, so
 * a reset socket nobody listens on would throw and end the process.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_PATH } from '../../src/lib/protocol/summaries';
import { createPrivateRoom } from '../support/api';
import { signingClient, type SigningClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { connectAs } from '../support/sync-client';

let server: ServerHandle;
let alice: SigningClient;
let roomId: string;

beforeAll(async () => {
	server = await startServer({ env: { MAX_CONNECTIONS_PER_USER: '10000' } });
	alice = await signingClient(server.url);
	roomId = await createPrivateRoom(alice, 'storm');
});

afterAll(async () => {
	await server?.dispose();
});

/** Sends an upgrade request for `path` on a raw TCP socket; resolves once it is written. */
function upgradeRequest(path: string): Promise<Socket> {
	const { port } = new URL(server.url);
	return new Promise((resolve, reject) => {
		const socket = connect(Number(port), '127.0.0.1', () => {
			socket.write(
				`GET ${path} HTTP/1.1\r\n` +
					`Host: localhost:${port}\r\n` +
					'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
					'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
					`Origin: ${server.url}\r\nCookie: ${alice.cookie ?? ''}\r\n\r\n`,
				() => resolve(socket)
			);
		});
		socket.on('error', (error) => {
			if (!socket.destroyed) reject(error);
		});
	});
}

describe('a storm of upgrades', () => {
	it('survives clients that reset their connection while their upgrade waits, and still serves', async () => {
		const paths = Array.from({ length: 300 }, (_, i) =>
			i % 3 === 0 ? SUMMARY_PATH : `/sync/${roomId}`
		);
		const sockets = await Promise.all(paths.map((path) => upgradeRequest(path)));
		// All give up (RST) at once: the server has read their requests, and those it has not
		// checked yet wait for their turn (without holdUpgradeSocket this ended the process in
		// about half the runs; tests/unit/upgrade-pacing.test.ts shows it every time).
		for (const socket of sockets) socket.resetAndDestroy();

		// Afterwards the same process serves a new socket, and a message is stored.
		const client = connectAs(alice, server, roomId);
		try {
			await client.waitFor(() => client.provider.synced, 10_000, 'synced');
			client.send('after the storm');
			await client.waitForStored(10_000);
			expect(server.process.exitCode).toBeNull();
			expect(server.process.signalCode).toBeNull();
		} finally {
			client.destroy();
		}
	});
});
