/**
 * Attachments from the browser: a member uploads through the API with the page's own session
 * (fetch in the page, as the composer will), another member opens the file URL, and someone
 * outside the room gets 403 for the same URL.
 */
import { addMember, createRoom, expect, test } from './fixtures';

/** A 1×1 PNG. */
const PNG_BASE64 =
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

test('a member uploads a file that members can open and outsiders cannot', async ({ newUser }) => {
	const owner = await newUser('owner');
	const member = await newUser('member');
	const outsider = await newUser('outsider');
	const roomId = await createRoom(
		owner.context,
		`Photos ${Math.random().toString(36).slice(2, 8)}`
	);
	await addMember(owner.context, roomId, member.username);

	const ownerPage = await owner.context.newPage();
	await ownerPage.goto('/');
	const uploaded = await ownerPage.evaluate(
		async ({ roomId, png }) => {
			const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
			const response = await fetch(`/api/files?roomId=${roomId}`, {
				method: 'POST',
				headers: { 'content-type': 'image/png', 'x-file-name': encodeURIComponent('dot ☺.png') },
				body: bytes
			});
			return { status: response.status, body: (await response.json()) as Record<string, unknown> };
		},
		{ roomId, png: PNG_BASE64 }
	);
	expect(uploaded.status).toBe(201);
	expect(uploaded.body).toMatchObject({ name: 'dot ☺.png', type: 'image/png', size: 70 });
	const fileUrl = `/api/files/${String(uploaded.body.id)}`;

	const memberPage = await member.context.newPage();
	const shown = await memberPage.goto(fileUrl);
	expect(shown?.status()).toBe(200);
	expect(shown?.headers()['content-type']).toBe('image/png');
	expect(shown?.headers()['x-content-type-options']).toBe('nosniff');
	expect((await shown?.body())?.toString('base64')).toBe(PNG_BASE64);

	const outsiderPage = await outsider.context.newPage();
	const refused = await outsiderPage.goto(fileUrl);
	expect(refused?.status()).toBe(403);
	expect(await refused?.json()).toEqual({ error: expect.any(String) });
});
