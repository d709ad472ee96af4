/**
 * Attachments in the room page: picking files with "Attach files", the upload queue with its
 * progress bars, thumbnails and the full-size view for the other members, the offline outbox
 * (kept in IndexedDB across a reload, sent on reconnect), the size check before any upload,
 * and the server's 403 for someone outside the room.
 */
import { expect, goOffline, goOnline, test, waitUntilAvailableOffline } from './fixtures';
import { attach, attachRoom, makePng, messageWith } from './attachments-support';

test('an uploaded image shows a progress bar, then a thumbnail that opens the full-size view', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const carol = await newUser('carol');
	const room = await attachRoom(alice, bob);
	const alicePage = await alice.openRoom(room.id);
	const bobPage = await bob.openRoom(room.id);
	const png = await makePng(alicePage, 640, 480);

	// The upload is held at the network layer until the progress bar has been seen.
	let release: () => void = () => {};
	const released = new Promise<void>((resolve) => (release = resolve));
	await alicePage.route('**/api/files?*', async (route) => {
		await released;
		await route.continue();
	});

	await attach(alicePage, [{ name: 'sunset.png', mimeType: 'image/png', buffer: png }]);
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('Look at this');
	await alicePage.getByRole('button', { name: 'Send' }).click();

	const bar = alicePage.getByRole('progressbar', { name: 'sunset.png' });
	await expect(bar).toBeVisible();
	await expect(bar).toHaveAttribute('aria-valuenow', /^\d+$/);
	// Not in the room until its file is stored on the server.
	await expect(messageWith(bobPage, room.name, 'Look at this')).toHaveCount(0);
	release();
	await expect(bar).toBeHidden();

	const fromAlice = messageWith(bobPage, room.name, 'Look at this');
	const thumbnail = fromAlice.getByRole('img', { name: 'sunset.png' });
	await expect(thumbnail).toBeVisible();
	// A real thumbnail (docs "Files": at most 480 px a side), not the 640 px image itself.
	await expect
		.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth))
		.toBe(480);

	await thumbnail.click();
	const viewer = bobPage.getByRole('dialog', { name: 'sunset.png' });
	await expect(viewer).toBeVisible();
	const full = viewer.getByRole('img', { name: 'sunset.png' });
	await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
	await bobPage.keyboard.press('Escape');
	await expect(viewer).toBeHidden();

	// The file's URL is for the room's members only.
	const src = (await thumbnail.getAttribute('src')) ?? '';
	const fileUrl = src.replace(/\?.*$/, '');
	expect(fileUrl).toMatch(/^\/api\/files\/[^/]+$/);
	expect((await bob.context.request.get(fileUrl)).status()).toBe(200);
	expect((await carol.context.request.get(fileUrl)).status()).toBe(403);
	expect((await carol.context.request.get(`${fileUrl}?thumb=1`)).status()).toBe(403);
});

test('a file attached offline is queued, survives a reload and is sent on reconnect', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const room = await attachRoom(alice, bob);
	const page = await alice.openRoom(room.id);
	await waitUntilAvailableOffline(page, [`/rooms/${room.id}`]);

	await goOffline(alice.context);
	await attach(page, [
		{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('written on a train\n') }
	]);
	await page.getByRole('textbox', { name: 'Message' }).fill('Notes from the train');
	await page.getByRole('button', { name: 'Send' }).click();
	const queued = page.getByRole('progressbar', { name: 'notes.txt' });
	await expect(queued).toBeVisible();
	await expect(page.getByText('Waiting to upload')).toBeVisible();

	await page.reload();
	await expect(page.getByRole('status')).toHaveText('Offline');
	await expect(queued).toBeVisible();
	await expect(messageWith(page, room.name, 'Notes from the train')).toHaveCount(0);

	await goOnline(alice.context);
	await expect(queued).toBeHidden();
	const sent = messageWith(page, room.name, 'Notes from the train');
	await expect(sent.getByRole('link', { name: /notes\.txt/ })).toBeVisible();

	const bobPage = await bob.openRoom(room.id);
	const onBob = messageWith(bobPage, room.name, 'Notes from the train');
	const download = onBob.getByRole('link', { name: /notes\.txt/ });
	await expect(download).toBeVisible();
	const href = (await download.getAttribute('href')) ?? '';
	const response = await bob.context.request.get(href);
	expect(response.status()).toBe(200);
	expect(await response.text()).toBe('written on a train\n');
});

test('a file over the size limit is refused with a clear error before any upload', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const room = await attachRoom(alice, bob);
	const page = await alice.openRoom(room.id);
	const uploads: string[] = [];
	page.on('request', (request) => {
		if (new URL(request.url()).pathname === '/api/files') uploads.push(request.url());
	});

	// Built in the page and put on the real file input (sending 25 MB through the driver is slow).
	await page.locator('input[type="file"]').evaluate(
		(input: HTMLInputElement, size) => {
			const files = new DataTransfer();
			files.items.add(new File([new Uint8Array(size)], 'huge.bin'));
			input.files = files.files;
			input.dispatchEvent(new Event('change', { bubbles: true }));
		},
		25 * 1024 * 1024 + 1
	);
	await expect(page.getByText('huge.bin')).toBeVisible();
	await page.getByRole('textbox', { name: 'Message' }).fill('Too big to send');
	await page.getByRole('button', { name: 'Send' }).click();

	await expect(page.getByRole('alert').filter({ hasText: /huge\.bin.*too large/ })).toBeVisible();
	await expect(messageWith(page, room.name, 'Too big to send')).toHaveCount(0);
	expect(uploads).toEqual([]);
	// Refused, the draft and the picked file stay, so the user can remove the file and send.
	await expect(page.getByRole('list', { name: 'Files to send' })).toContainText('huge.bin');
	await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue('Too big to send');
});
