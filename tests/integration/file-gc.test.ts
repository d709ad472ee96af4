/**
 * Garbage collection of uploads (issue 19) on the real program: an upload no stored message
 * names is deleted after FILE_GC_GRACE_MS, row and bytes; one a message names stays, and so do
 * bytes another upload still names (content-addressed).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateRoom, uploadTextFile, type UploadedFile } from '../support/api';
import { signedMessage, signingClient, type SigningClient as User } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { connectAs } from '../support/sync-client';
import { waitFor } from '../support/wait';

let server: ServerHandle;
let alice: User;
let roomId: string;

beforeAll(async () => {
	server = await startServer({
		env: { FILE_GC_GRACE_MS: '1500', FILE_GC_INTERVAL_MS: '200' }
	});
	alice = await signingClient(server.url);
	roomId = await createPrivateRoom(alice, 'Uploads');
	// A loaded machine can take long to start the server.
}, 90_000);

afterAll(async () => {
	await server?.dispose();
});

function upload(name: string, text: string): Promise<UploadedFile> {
	return uploadTextFile(server.url, alice, roomId, name, text);
}

function download(file: UploadedFile): Promise<Response> {
	return fetch(new URL(`/api/files/${file.id}`, server.url), {
		headers: { origin: server.url, cookie: alice.cookie ?? '' }
	});
}

function blobOf(text: string): string {
	const sha = createHash('sha256').update(text).digest('hex');
	return join(server.dataDir, 'files', sha.slice(0, 2), sha);
}

describe('garbage collection of uploads', () => {
	it('deletes an unreferenced upload after the grace period and keeps a referenced one', async () => {
		const kept = await upload('kept.txt', 'the report');
		const client = connectAs(alice, server, roomId);
		try {
			await client.waitFor(() => client.provider.synced, 10_000, 'synced');
			client.doc.getArray('messages').push([
				signedMessage(alice.signer, roomId, {
					id: crypto.randomUUID(),
					author: alice.userId,
					text: 'see attached',
					ts: Date.now(),
					files: [kept]
				})
			]);
			await client.waitForStored(10_000);
		} finally {
			client.destroy();
		}
		const abandoned = await upload('abandoned.txt', 'a draft nobody sent');
		// The same bytes as the kept file, uploaded again and never sent.
		const duplicate = await upload('copy.txt', 'the report');
		expect(existsSync(blobOf('a draft nobody sent'))).toBe(true);

		await waitFor(
			'the unreferenced uploads to be collected',
			async () =>
				(await download(abandoned)).status === 404 && (await download(duplicate)).status === 404,
			30_000,
			200
		);
		expect(existsSync(blobOf('a draft nobody sent'))).toBe(false);

		const response = await download(kept);
		expect(response.status).toBe(200);
		expect(await response.text()).toBe('the report');
		expect(existsSync(blobOf('the report'))).toBe(true);
	}, 90_000);
});
