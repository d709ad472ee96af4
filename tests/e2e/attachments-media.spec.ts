/**
 * Attachments beyond the paperclip: an image pasted into the composer, files dropped on the
 * room (same limits and queue), and images offline: shown after a reload without a network
 * (one seen, one sent from here, full size included) and retried once the network is back,
 * without a reload.
 */
import type { Locator, Page } from '@playwright/test';
import {
	expect,
	goOffline,
	goOnline,
	test,
	waitUntilAvailableOffline,
	waitUntilSavedLocally,
	type ChatUser
} from './fixtures';
import { attach, attachRoom, makePng, messageWith } from './attachments-support';

/** The image's width once it is decoded (0 while broken or loading). */
function naturalWidth(img: Locator): Promise<number> {
	return img.evaluate((element: HTMLImageElement) => (element.complete ? element.naturalWidth : 0));
}

/** The image `file` in the message holding `text`. */
function imageIn(page: Page, roomName: string, text: string, file: string): Locator {
	return messageWith(page, roomName, text).getByRole('img', { name: file });
}

/** Alice and Bob with the room open (and kept for offline use), and a PNG of that size. */
async function twoInRoom(
	newUser: (prefix?: string) => Promise<ChatUser>,
	width: number,
	height: number
) {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const room = await attachRoom(alice, bob);
	const alicePage = await alice.openRoom(room.id);
	const bobPage = await bob.openRoom(room.id);
	for (const page of [alicePage, bobPage]) {
		await waitUntilAvailableOffline(page, [`/rooms/${room.id}`]);
	}
	return { alice, bob, room, alicePage, bobPage, png: await makePng(alicePage, width, height) };
}

/** Files made in the page from bytes, as a DataTransfer would carry them. */
async function dispatchWithFiles(
	page: Page,
	target: Locator,
	kind: 'paste' | 'drop',
	files: { name: string; type: string; base64: string }[]
): Promise<void> {
	await target.evaluate(
		(element, { kind, files }) => {
			const data = new DataTransfer();
			for (const file of files) {
				const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
				data.items.add(new File([bytes], file.name, { type: file.type }));
			}
			const init = { bubbles: true, cancelable: true };
			if (kind === 'paste') {
				element.dispatchEvent(new ClipboardEvent('paste', { ...init, clipboardData: data }));
				return;
			}
			for (const type of ['dragenter', 'dragover', 'drop']) {
				element.dispatchEvent(new DragEvent(type, { ...init, dataTransfer: data }));
			}
		},
		{ kind, files }
	);
}

test('an image pasted into the composer is sent like a picked one', async ({ newUser }) => {
	const { room, alicePage, bobPage, png } = await twoInRoom(newUser, 320, 200);

	const box = alicePage.getByRole('textbox', { name: 'Message' });
	await box.fill('From the clipboard');
	await dispatchWithFiles(alicePage, box, 'paste', [
		{ name: 'image.png', type: 'image/png', base64: png.toString('base64') }
	]);
	const picked = alicePage.getByRole('list', { name: 'Files to send' });
	await expect(picked.getByRole('listitem')).toHaveText(['image.png']);
	// The draft's text is kept: only the file was pasted.
	await expect(box).toHaveValue('From the clipboard');
	await box.press('Enter');

	const thumbnail = imageIn(bobPage, room.name, 'From the clipboard', 'image.png');
	await expect.poll(() => naturalWidth(thumbnail)).toBe(320);
});

test('files dropped on the room are queued with the same limits as the paperclip', async ({
	newUser
}) => {
	const { room, alicePage, bobPage, png } = await twoInRoom(newUser, 200, 120);
	const log = alicePage.getByRole('log', { name: room.name });

	// Eleven files: one too many for a message, refused as the paperclip's would be.
	const notes = Array.from({ length: 11 }, (_, i) => ({
		name: `note-${i}.txt`,
		type: 'text/plain',
		base64: Buffer.from(`note ${i}\n`).toString('base64')
	}));
	await dispatchWithFiles(alicePage, log, 'drop', notes);
	await expect(
		alicePage.getByRole('list', { name: 'Files to send' }).getByRole('listitem')
	).toHaveCount(11);
	await alicePage.getByRole('button', { name: 'Send' }).click();
	await expect(
		alicePage.getByRole('alert').filter({ hasText: 'at most 10 files' }).first()
	).toBeVisible();
	for (let i = 0; i < 11; i++) {
		await alicePage.getByRole('button', { name: `Remove note-${i}.txt` }).click();
	}

	await dispatchWithFiles(alicePage, log, 'drop', [
		{ name: 'dropped.png', type: 'image/png', base64: png.toString('base64') }
	]);
	await expect(alicePage.getByRole('list', { name: 'Files to send' })).toHaveText('dropped.png');
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('Dropped in');
	await alicePage.getByRole('button', { name: 'Send' }).click();
	const thumbnail = imageIn(bobPage, room.name, 'Dropped in', 'dropped.png');
	await expect.poll(() => naturalWidth(thumbnail)).toBe(200);
});

test('images show after a reload offline, the sender’s at full size too, and after reconnecting', async ({
	newUser
}) => {
	const { alice, bob, room, alicePage, bobPage, png } = await twoInRoom(newUser, 640, 480);

	await attach(alicePage, [{ name: 'harbour.png', mimeType: 'image/png', buffer: png }]);
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('The harbour');
	await alicePage.getByRole('button', { name: 'Send' }).click();
	const users = [
		{ user: alice, page: alicePage },
		{ user: bob, page: bobPage }
	];
	const harbour = (page: Page): Locator => imageIn(page, room.name, 'The harbour', 'harbour.png');
	await expect.poll(() => naturalWidth(harbour(bobPage))).toBe(480);
	await expect.poll(() => naturalWidth(harbour(alicePage))).toBeGreaterThan(0);

	for (const { user, page } of users) {
		await waitUntilSavedLocally(page, user.id, room.id, 'The harbour');
		await goOffline(user.context);
		await page.reload();
		await expect(page.getByRole('status')).toHaveText('Offline');
		await expect.poll(() => naturalWidth(harbour(page))).toBeGreaterThan(0);
	}

	// Alice sent it from here: the whole file was kept, so the full-size view works offline.
	await harbour(alicePage).click();
	const viewer = alicePage.getByRole('dialog', { name: 'harbour.png' });
	await expect.poll(() => naturalWidth(viewer.getByRole('img', { name: 'harbour.png' }))).toBe(640);
	await alicePage.keyboard.press('Escape');

	// Back online (the sync socket reconnects): the images stay.
	for (const { user, page } of users) {
		await goOnline(user.context);
		await expect(page.getByRole('status')).toHaveText('Online');
		await expect.poll(() => naturalWidth(harbour(page))).toBeGreaterThan(0);
	}
});

test('an image that could not load offline loads on reconnecting, without a reload', async ({
	newUser
}) => {
	const { bob, room, alicePage, bobPage, png } = await twoInRoom(newUser, 640, 480);

	// Bob's file downloads fail (his service worker's fetch included), as they do offline; the
	// message itself reaches him.
	const downloads = /\/api\/files\/[a-z2-7]{24}(\?thumb=1)?$/;
	await bob.context.route(downloads, (route) => route.abort('internetdisconnected'));
	await attach(alicePage, [{ name: 'lighthouse.png', mimeType: 'image/png', buffer: png }]);
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('The lighthouse');
	await alicePage.getByRole('button', { name: 'Send' }).click();
	const message = messageWith(bobPage, room.name, 'The lighthouse');
	await expect(message).toContainText('Shown when back online');

	// A reload offline: still not there, still a placeholder and not a broken image.
	await waitUntilSavedLocally(bobPage, bob.id, room.id, 'The lighthouse');
	await goOffline(bob.context);
	await bobPage.reload();
	await expect(bobPage.getByRole('status')).toHaveText('Offline');
	await expect(message).toContainText('Shown when back online');

	// The network is back: the image loads in place.
	await bob.context.unroute(downloads);
	await goOnline(bob.context);
	await expect(bobPage.getByRole('status')).toHaveText('Online');
	await expect
		.poll(() => naturalWidth(imageIn(bobPage, room.name, 'The lighthouse', 'lighthouse.png')))
		.toBe(480);
	await expect(message).not.toContainText('Shown when back online');
});
