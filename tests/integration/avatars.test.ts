/**
 * Uploaded profile pictures with the real program (startServer, after a build): PUT and DELETE
 * /api/me/avatar take and remove the caller's picture, GET /api/users/:id/avatar serves it to
 * any signed-in user with safe, version-tied cache headers, and GET /api/me and the member list
 * carry its version. Bad uploads are refused and change nothing.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, createPrivateRoom, registeredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

const MIB = 1024 * 1024;

function picture(colour: string, format: 'png' | 'jpeg' | 'webp' | 'gif'): Promise<Buffer> {
	return sharp({ create: { width: 8, height: 8, channels: 3, background: colour } })
		.toFormat(format)
		.toBuffer();
}

/** PUT /api/me/avatar with raw bytes, as the profile page sends them. */
async function putAvatar(
	client: ApiClient,
	bytes: Uint8Array | null,
	type: string | null
): Promise<{ status: number; body: { avatar?: string | null; error?: string } }> {
	const headers: Record<string, string> = { origin: client.baseUrl };
	if (client.cookie) headers.cookie = client.cookie;
	if (type !== null) headers['content-type'] = type;
	const response = await fetch(new URL('/api/me/avatar', client.baseUrl), {
		method: 'PUT',
		headers,
		body: bytes ? new Uint8Array(bytes) : undefined
	});
	return { status: response.status, body: (await response.json()) as { avatar?: string } };
}

function getAvatar(client: ApiClient, userId: string, query = ''): Promise<Response> {
	return fetch(new URL(`/api/users/${userId}/avatar${query}`, client.baseUrl), {
		headers: client.cookie ? { cookie: client.cookie } : {}
	});
}

async function avatarOfMe(client: ApiClient): Promise<string | null> {
	return (await client.get<{ avatar: string | null }>('/api/me')).body.avatar;
}

describe('uploaded avatars', () => {
	it('are stored, served to other users with safe cache headers, and carried by /api/me and the member list', async () => {
		const [alice, bob] = await Promise.all([
			registeredClient(server.url),
			registeredClient(server.url)
		]);
		const roomId = await createPrivateRoom(alice, 'Pictures', [bob]);
		expect((await alice.get('/api/me')).body).toEqual({
			id: alice.userId,
			username: alice.username,
			displayName: '',
			avatar: null
		});
		expect((await getAvatar(bob, alice.userId)).status).toBe(404);

		const png = await picture('#c03030', 'png');
		const stored = await putAvatar(alice, png, 'image/png');
		expect(stored.status).toBe(200);
		const version = stored.body.avatar;
		expect(version).toMatch(/^[0-9a-f]{16}$/);
		expect(
			createHash('sha256')
				.update(png)
				.digest('hex')
				.startsWith(version ?? '-')
		).toBe(true);
		expect(await avatarOfMe(alice)).toBe(version);
		const members = await bob.get<{ members: { id: string; avatar: string | null }[] }>(
			`/api/rooms/${roomId}/members`
		);
		expect(members.body.members.find((m) => m.id === alice.userId)?.avatar).toBe(version);
		expect(members.body.members.find((m) => m.id === bob.userId)?.avatar).toBeNull();

		// Another signed-in user reads it; the current version's URL is cached for good.
		const served = await getAvatar(bob, alice.userId, `?v=${version}`);
		expect(served.status).toBe(200);
		expect(served.headers.get('content-type')).toBe('image/png');
		expect(served.headers.get('x-content-type-options')).toBe('nosniff');
		expect(served.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
		expect(served.headers.get('cache-control')).toMatch(/max-age=31536000, immutable/);
		expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
		// Any other version (an old URL) gets the current picture, but nothing keeps it.
		const stale = await getAvatar(bob, alice.userId, '?v=0123456789abcdef');
		expect(stale.status).toBe(200);
		expect(stale.headers.get('cache-control')).toBe('private, no-cache');
		await stale.arrayBuffer();

		// Replaced: a new version for new bytes, each type with its own magic number.
		for (const format of ['jpeg', 'webp', 'gif'] as const) {
			const bytes = await picture('#3050c0', format);
			const replaced = await putAvatar(alice, bytes, `image/${format}`);
			expect(replaced.status, format).toBe(200);
			expect(replaced.body.avatar).not.toBe(version);
			const again = await getAvatar(bob, alice.userId, `?v=${replaced.body.avatar}`);
			expect(again.headers.get('content-type')).toBe(`image/${format}`);
			expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
		}

		// Removed: initials again, 404 JSON for the picture; removing twice is fine.
		const removed = await alice.delete('/api/me/avatar');
		expect(removed.status).toBe(204);
		expect(await avatarOfMe(alice)).toBeNull();
		const gone = await getAvatar(bob, alice.userId, `?v=${version}`);
		expect(gone.status).toBe(404);
		expect(((await gone.json()) as { error: string }).error).toEqual(expect.any(String));
		expect((await alice.delete('/api/me/avatar')).status).toBe(204);
	});

	it('refuses wrong types, mismatched bytes, empty and oversized bodies, and changes nothing', async () => {
		const carol = await registeredClient(server.url);
		const png = await picture('#20a040', 'png');
		const kept = (await putAvatar(carol, png, 'image/png')).body.avatar;
		expect(kept).toEqual(expect.any(String));
		const jpeg = await picture('#20a040', 'jpeg');
		const big = new Uint8Array(MIB + 1);
		big.set(png.subarray(0, 16));
		const refusals: [Uint8Array | null, string | null, number][] = [
			[new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml', 415],
			[new TextEncoder().encode('just text'), 'text/plain', 415],
			[png, null, 415],
			[jpeg, 'image/png', 400],
			[png, 'image/gif', 400],
			[new TextEncoder().encode('not a picture'), 'image/webp', 400],
			[new Uint8Array(0), 'image/png', 400],
			[big, 'image/png', 413]
		];
		for (const [bytes, type, status] of refusals) {
			const refused = await putAvatar(carol, bytes, type);
			expect(refused.status, `${type} ${bytes?.byteLength}`).toBe(status);
			expect(refused.body.error, `${type}`).toEqual(expect.any(String));
		}
		// A streamed body that passes the limit without declaring its length.
		const streamed = await putChunked(carol, big, 'image/png');
		expect(streamed.status).toBe(413);
		expect(streamed.body.error).toEqual(expect.any(String));
		expect(await avatarOfMe(carol)).toBe(kept);
		const served = await getAvatar(carol, carol.userId, `?v=${kept}`);
		expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
	});

	it('answers 401 without a session and 404 for an unknown user', async () => {
		const anonymous = new ApiClient(server.url);
		const png = await picture('#808080', 'png');
		expect((await putAvatar(anonymous, png, 'image/png')).status).toBe(401);
		expect((await anonymous.delete('/api/me/avatar')).status).toBe(401);
		const dave = await registeredClient(server.url);
		expect((await getAvatar(anonymous, dave.userId)).status).toBe(401);
		const unknown = await getAvatar(dave, 'no-such-user');
		expect(unknown.status).toBe(404);
		expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
	});
});

/** PUT with a streamed (chunked) body that declares no length. */
async function putChunked(
	client: ApiClient,
	bytes: Uint8Array,
	type: string
): Promise<{ status: number; body: { error?: string } }> {
	const body = new ReadableStream<Uint8Array>({
		start(controller) {
			for (let offset = 0; offset < bytes.byteLength; offset += 64 * 1024) {
				controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
			}
			controller.close();
		}
	});
	const response = await fetch(new URL('/api/me/avatar', client.baseUrl), {
		method: 'PUT',
		headers: { origin: client.baseUrl, cookie: client.cookie ?? '', 'content-type': type },
		body,
		duplex: 'half'
	} as RequestInit);
	return { status: response.status, body: (await response.json()) as { error?: string } };
}
