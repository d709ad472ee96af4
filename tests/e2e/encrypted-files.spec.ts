/**
 * Files in encrypted rooms (docs/design.md "Encrypted rooms", files): the sender's browser
 * encrypts each file before upload and puts its key, name and type in the encrypted message;
 * a member's browser downloads, checks and decrypts it. The server holds ciphertext under an
 * opaque name, and a file changed on its disk shows "Can't decrypt this file" for that file only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, goOffline, test, waitUntilAvailableOffline } from './fixtures';
import { attach, makePng } from './attachments-support';
import { encryptedPair, filesUnder, messageOf } from './encrypted-support';

/**
 * The upload ids a page's POST /api/files answered, in the order of the answers. `ids(n)` waits
 * for `n` answers and their bodies: the page can show a sent file before Playwright has read
 * the body of its upload's answer.
 */
function uploadsOf(page: Page): { ids(count: number): Promise<string[]> } {
	const bodies: Promise<string>[] = [];
	page.on('response', (response) => {
		const url = new URL(response.url());
		if (url.pathname !== '/api/files' || response.request().method() !== 'POST') return;
		bodies.push(response.json().then((body: { id: string }) => body.id));
	});
	return {
		async ids(count) {
			await expect.poll(() => bodies.length).toBe(count);
			return Promise.all(bodies);
		}
	};
}

test('an image and a file sent in an encrypted room open for the other member; the server holds neither their bytes nor their names', async ({
	newUser,
	server
}) => {
	const { alice, bob, name, alicePage, bobPage } = await encryptedPair(
		newUser,
		'Sealed files',
		'hello'
	);
	const contentMarker = `content-${randomUUID()}`;
	const nameMarker = randomUUID();
	const imageName = `beach-${nameMarker}.png`;
	const fileName = `minutes-${nameMarker}.txt`;
	// A real PNG with the marker after its end: browsers still draw it.
	const png = Buffer.concat([await makePng(alicePage, 320, 240), Buffer.from(contentMarker)]);
	const text = Buffer.from(`minutes of the meeting: ${contentMarker}\n`);
	const uploads = uploadsOf(alicePage);

	await attach(alicePage, [
		{ name: imageName, mimeType: 'image/png', buffer: png },
		{ name: fileName, mimeType: 'text/plain', buffer: text }
	]);
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('two files');
	await alicePage.getByRole('button', { name: 'Send' }).click();

	// Bob sees the image, decrypted in his browser (the full image, scaled by CSS).
	const onBob = messageOf(bobPage, name, 'two files');
	const image = onBob.getByRole('img', { name: imageName });
	await expect(image).toBeVisible({ timeout: 20_000 });
	await expect(image).toHaveAttribute('src', /^blob:/);
	await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
	await image.click();
	const viewer = bobPage.getByRole('dialog', { name: imageName });
	await expect(viewer.getByRole('img', { name: imageName })).toBeVisible();
	await bobPage.keyboard.press('Escape');

	// … and downloads the file under its name, with its bytes.
	const link = onBob.getByRole('link', { name: new RegExp(fileName) });
	const downloading = bobPage.waitForEvent('download');
	await link.click();
	const download = await downloading;
	expect(download.suggestedFilename()).toBe(fileName);
	expect((await readFile(await download.path())).equals(text)).toBe(true);
	// Alice's own browser shows them too.
	await expect(
		messageOf(alicePage, name, 'two files').getByRole('img', { name: imageName })
	).toBeVisible();

	// The server was given opaque uploads: ciphertext, named "encrypted", of no telling type.
	const ids = await uploads.ids(2);
	for (const id of ids) {
		const response = await bob.context.request.get(`/api/files/${id}`);
		expect(response.status()).toBe(200);
		expect(response.headers()['content-type']).toBe('application/octet-stream');
		expect(response.headers()['content-disposition']).toContain('filename="encrypted"');
		expect((await response.body()).includes(Buffer.from(contentMarker))).toBe(false);
	}
	// Neither the files' contents nor their names are anywhere on the server's disk or in its log.
	for (const secret of [contentMarker, nameMarker]) {
		const needle = Buffer.from(secret);
		for (const file of await filesUnder(server.dataDir)) {
			expect((await readFile(file)).includes(needle), `${file} holds ${secret}`).toBe(false);
		}
		expect(server.output.join('\n')).not.toContain(secret);
	}
	// The server's search does not find the file's name either.
	const search = await alice.context.request.get(`/api/search?q=${nameMarker}`);
	expect(((await search.json()) as { results: unknown[] }).results).toEqual([]);
});

test('a file changed on the server shows “can’t decrypt this file” for that file only', async ({
	newUser,
	server
}) => {
	const { alice, bob, name, roomId, alicePage, bobPage } = await encryptedPair(
		newUser,
		'Tampered file',
		'hello'
	);
	// Bob is away while the file is changed: his browser has never fetched it.
	await bobPage.close();
	const uploads = uploadsOf(alicePage);
	await attach(alicePage, [
		{ name: 'honest.txt', mimeType: 'text/plain', buffer: Buffer.from('left alone\n') },
		{ name: 'changed.txt', mimeType: 'text/plain', buffer: Buffer.from('changed on disk\n') }
	]);
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('one will be changed');
	await alicePage.getByRole('button', { name: 'Send' }).click();
	const sent = messageOf(alicePage, name, 'one will be changed');
	await expect(sent.getByRole('link', { name: /changed\.txt/ })).toBeVisible({ timeout: 20_000 });
	// The outbox uploads a message's files one after the other: the second is changed.txt.
	const [, changed] = await uploads.ids(2);

	// One bit of the second upload's ciphertext flipped where the server keeps it (same length).
	const stored = await alice.context.request.get(`/api/files/${changed}`);
	const bytes = await stored.body();
	const sha256 = createHash('sha256').update(bytes).digest('hex');
	const path = join(server.dataDir, 'files', sha256.slice(0, 2), sha256);
	const onDisk = await readFile(path);
	expect(onDisk.equals(bytes)).toBe(true);
	onDisk[onDisk.length - 3] = (onDisk[onDisk.length - 3] ?? 0) ^ 0x01;
	await writeFile(path, onDisk);

	const again = await bob.openRoom(roomId);
	const message = messageOf(again, name, 'one will be changed');
	await expect(message.getByText('Can’t decrypt this file')).toHaveCount(1, { timeout: 20_000 });
	await expect(message.getByRole('link', { name: /honest\.txt/ })).toBeVisible();
	await expect(message.getByRole('link', { name: /changed\.txt/ })).toHaveCount(0);
	// The rest of the room reads as before.
	await expect(messageOf(again, name, 'hello')).toBeVisible();
});

test('a dropped and a pasted file are encrypted too, and a seen image shows offline after a reload', async ({
	newUser
}) => {
	const { bob, name, roomId, alicePage, bobPage } = await encryptedPair(
		newUser,
		'Drop sealed',
		'hi'
	);
	await waitUntilAvailableOffline(bobPage, [`/rooms/${roomId}`]);
	const png = (await makePng(alicePage, 200, 100)).toString('base64');
	const uploads: string[] = [];
	alicePage.on('request', (request) => {
		if (new URL(request.url()).pathname === '/api/files') {
			uploads.push(request.headers()['x-file-name'] ?? '');
		}
	});
	const drop = async (kind: 'paste' | 'drop', fileName: string): Promise<void> => {
		const target =
			kind === 'paste'
				? alicePage.getByRole('textbox', { name: 'Message' })
				: alicePage.getByRole('log', { name });
		await target.evaluate(
			(element, { kind, fileName, png }) => {
				const data = new DataTransfer();
				const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
				data.items.add(new File([bytes], fileName, { type: 'image/png' }));
				const init = { bubbles: true, cancelable: true };
				if (kind === 'paste') {
					element.dispatchEvent(new ClipboardEvent('paste', { ...init, clipboardData: data }));
					return;
				}
				for (const type of ['dragenter', 'dragover', 'drop']) {
					element.dispatchEvent(new DragEvent(type, { ...init, dataTransfer: data }));
				}
			},
			{ kind, fileName, png }
		);
	};
	await drop('drop', 'dropped.png');
	await drop('paste', 'pasted.png');
	await expect(alicePage.getByRole('list', { name: 'Files to send' })).toContainText('pasted.png');
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('from the clipboard');
	await alicePage.getByRole('button', { name: 'Send' }).click();

	const onBob = messageOf(bobPage, name, 'from the clipboard');
	for (const fileName of ['dropped.png', 'pasted.png']) {
		await expect(onBob.getByRole('img', { name: fileName })).toBeVisible({ timeout: 20_000 });
	}
	expect(uploads).toEqual(['encrypted', 'encrypted']);

	// Offline, the ciphertext comes from the files cache and is decrypted again.
	await goOffline(bob.context);
	await bobPage.reload();
	await expect(bobPage.getByRole('status')).toHaveText('Offline');
	const offline = messageOf(bobPage, name, 'from the clipboard');
	for (const fileName of ['dropped.png', 'pasted.png']) {
		const image = offline.getByRole('img', { name: fileName });
		await expect(image).toBeVisible();
		await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(200);
	}
});
