/**
 * Local-first storage (issue 19, docs/design.md "Local storage"), in Chromium: persistent
 * storage asked for after sign-in and the first offline message (never on a page load), a full
 * disk made with a small quota through the DevTools protocol (`Storage.overrideQuotaForOrigin`),
 * and replicas cleared between two visits (as an eviction leaves them).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { messageItem, sendMessage } from './features-support';
import {
	createRoom,
	cutSyncOnly,
	expect,
	goOffline,
	goOnline,
	roomName,
	submitMessage,
	test,
	waitUntilAvailableOffline,
	waitUntilSavedLocally
} from './fixtures';

const AT_RISK = 'at risk if the browser clears its storage';
const NOT_KEPT = /could not be kept offline/;

/** Counts this page's calls of navigator.storage.persist (the real one still answers). */
async function countPersistRequests(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const storage = navigator.storage;
		const persist = storage.persist.bind(storage);
		(window as unknown as { persistCalls: number }).persistCalls = 0;
		storage.persist = () => {
			(window as unknown as { persistCalls: number }).persistCalls++;
			return persist();
		};
	});
}

function persistCalls(page: Page): Promise<number> {
	return page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls);
}

test('persistent storage is asked for after sign-in and after the first offline message, not on a page load', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	await countPersistRequests(alice.context);
	const name = roomName('Persist');
	const roomId = await createRoom(alice.context, name, 'private');
	const page = await alice.openRoom(roomId);
	// The first page after signing in (no one was signed in here before) asks once.
	await expect.poll(() => persistCalls(page)).toBe(1);

	// A page load of someone already signed in here asks nothing.
	await page.reload();
	await expect(page.getByRole('status')).toHaveText('Online');
	await sendMessage(page, 'sent online');
	// Stored by the server before the network goes: only what is typed offline waits.
	await expect(messageItem(page, name, 'sent online')).toContainText('Sent');
	expect(await persistCalls(page)).toBe(0);

	// The first message kept offline asks; not persistent, the waiting count warns.
	await goOffline(alice.context);
	await expect(page.getByRole('status')).toHaveText('Offline');
	await submitMessage(page, 'typed offline');
	await expect(page.getByText('1 waiting to be sent')).toBeVisible();
	await expect.poll(() => persistCalls(page)).toBe(1);
	// A fresh profile's site is not granted persistence (no engagement, not installed).
	expect(await page.evaluate(() => navigator.storage.persisted())).toBe(false);
	await expect(page.getByText(AT_RISK)).toBeVisible();
	await submitMessage(page, 'typed offline again');
	await expect(page.getByText('2 waiting to be sent')).toBeVisible();
	expect(await persistCalls(page)).toBe(1);

	await goOnline(alice.context);
	await expect(page.getByText(/waiting to be sent/)).toBeHidden();
	await expect(page.getByText(AT_RISK)).toBeHidden();
});

test('a full disk: the composer says the message could not be kept offline, keeps the draft, and goes on when space returns', async ({
	newUser,
	baseURL
}) => {
	const alice = await newUser('alice');
	const name = roomName('Full disk');
	const roomId = await createRoom(alice.context, name, 'private');
	// A small quota for the origin, set before it stores anything (Chromium reads an origin's
	// quota when its storage is first opened); the session stays open with it.
	const blank = await alice.context.newPage();
	const cdp = await alice.context.newCDPSession(blank);
	await cdp.send('Storage.overrideQuotaForOrigin', {
		origin: new URL(baseURL!).origin,
		quotaSize: 6 * 1024 * 1024
	});
	const page = await alice.openRoom(roomId);
	await sendMessage(page, 'kept before the disk filled');
	await waitUntilSavedLocally(page, alice.id, roomId, 'kept before the disk filled');
	// The page itself must open offline at the end: the worker's precache and this page's copy
	// are stored before the filler takes the rest of the quota (else an install racing the
	// filler fails, and the offline reload finds no page).
	await waitUntilAvailableOffline(page, [`/rooms/${roomId}`]);

	// Filler until a write no longer fits.
	const filled = await page.evaluate(async () => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const open = indexedDB.open('filler', 1);
			open.onupgradeneeded = () => open.result.createObjectStore('junk');
			open.onsuccess = () => resolve(open.result);
			open.onerror = () => reject(open.error);
		});
		const put = (key: string, bytes: number): Promise<string | null> =>
			new Promise((resolve) => {
				const tx = db.transaction('junk', 'readwrite');
				// Random bytes: IndexedDB compresses, so anything regular would take no room.
				const junk = new Uint8Array(bytes);
				for (let at = 0; at < bytes; at += 65_536) {
					crypto.getRandomValues(junk.subarray(at, at + 65_536));
				}
				tx.objectStore('junk').put(junk, key);
				tx.oncomplete = () => resolve(null);
				tx.onabort = () => resolve(tx.error?.name ?? 'aborted');
			});
		// Big pieces until one does not fit, then smaller ones down to 4 KB (below a message's
		// room check, messageBytes in room-sender.ts): none of those fits then.
		let last: string | null = null;
		let n = 0;
		for (const size of [256 * 1024, 32 * 1024, 4 * 1024]) {
			for (let i = 0; i < 100; i++) {
				last = await put(`${size}-${n++}`, size);
				if (last !== null) break;
			}
		}
		db.close();
		return last ?? 'never full';
	});
	expect(filled).toBe('QuotaExceededError');

	await goOffline(alice.context);
	await expect(page.getByRole('status')).toHaveText('Offline');
	const box = page.getByRole('textbox', { name: 'Message' });
	await submitMessage(page, 'typed on a full disk');
	await expect(page.getByRole('alert').filter({ hasText: NOT_KEPT })).toBeVisible();
	await expect(box).toHaveValue('typed on a full disk');
	await expect(messageItem(page, name, 'typed on a full disk')).toHaveCount(0);

	// Space returns: the same draft is kept offline now.
	await page.evaluate(
		() =>
			new Promise<void>((resolve, reject) => {
				const request = indexedDB.deleteDatabase('filler');
				request.onsuccess = () => resolve();
				request.onerror = () => reject(request.error);
			})
	);
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(box).toHaveValue('');
	await expect(messageItem(page, name, 'typed on a full disk')).toHaveCount(1);
	await waitUntilSavedLocally(page, alice.id, roomId, 'typed on a full disk');

	// Nothing stored was lost: both survive a reload offline, then reach the server.
	await page.reload();
	await expect(messageItem(page, name, 'kept before the disk filled')).toHaveCount(1);
	await expect(messageItem(page, name, 'typed on a full disk')).toHaveCount(1);
	await goOnline(alice.context);
	await expect(messageItem(page, name, 'typed on a full disk')).toContainText(
		/Sent|Delivered|Read/
	);
});

test('replicas cleared between two visits: the room starts cleanly and syncs again from the server', async ({
	newUser,
	baseURL
}) => {
	const alice = await newUser('alice');
	const name = roomName('Evicted');
	const roomId = await createRoom(alice.context, name, 'private');
	let page = await alice.openRoom(roomId);
	await sendMessage(page, 'before the eviction');
	await expect(messageItem(page, name, 'before the eviction')).toContainText(/Sent|Delivered|Read/);
	await waitUntilSavedLocally(page, alice.id, roomId, 'before the eviction');
	await page.close();

	// The browser evicts the origin's IndexedDB (localStorage stays, as after an eviction of
	// the replicas alone): every replica and the outbox are gone.
	const other = await alice.context.newPage();
	await other.goto('/');
	const cdp = await alice.context.newCDPSession(other);
	await cdp.send('Storage.clearDataForOrigin', {
		origin: new URL(baseURL!).origin,
		storageTypes: 'indexeddb'
	});
	expect(
		await other.evaluate(async () => (await indexedDB.databases()).map((db) => db.name))
	).not.toContain(`parley:${alice.id}:${roomId}`);
	await other.close();

	page = await alice.openRoom(roomId);
	await expect(messageItem(page, name, 'before the eviction')).toHaveCount(1);
	await sendMessage(page, 'after the eviction');
	await expect(messageItem(page, name, 'after the eviction')).toContainText(/Sent|Delivered|Read/);
	await waitUntilSavedLocally(page, alice.id, roomId, 'before the eviction');
	await expect(page.getByRole('alert')).toHaveCount(0);
});

test('Settings › Storage shows the replicas and frees a room not opened for a while, never one with unsent messages', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const oldName = roomName('Old room');
	const busyName = roomName('Unsent room');
	const oldRoom = await createRoom(alice.context, oldName, 'private');
	const busyRoom = await createRoom(alice.context, busyName, 'private');
	const page = await alice.openRoom(oldRoom);
	await sendMessage(page, 'an old message');
	await waitUntilSavedLocally(page, alice.id, oldRoom, 'an old message');
	// Alice leaves the old room only once it holds nothing unsent: her message and the read mark
	// her browser writes on showing it count as sent when the server's receipts arrive, and a
	// receipt still on its way when the page leaves never lands (the room then rightly counts as
	// waiting to be sent until it is opened again, and Free space skips it). This page says when.
	const report = await alice.context.newPage();
	const oldReportRow = report.getByRole('row', { name: new RegExp(`${oldName}|${oldRoom}`) });
	await expect(async () => {
		await report.goto('/settings/storage');
		await expect(oldReportRow).toBeVisible({ timeout: 2_000 });
		await expect(oldReportRow).not.toContainText('waiting to be sent', { timeout: 500 });
	}).toPass();
	await report.close();
	await page.goto(`/rooms/${busyRoom}`);
	await expect(page.getByRole('status')).toHaveText('Online');
	// The server stays away (pages load, sync sockets are refused): the message stays unsent.
	await cutSyncOnly(alice.context);
	await submitMessage(page, 'never sent');
	await waitUntilSavedLocally(page, alice.id, busyRoom, 'never sent');
	await page.goto('/');
	// Both rooms were last opened 40 days ago; the second still holds an unsent message.
	await page.evaluate(
		({ keys, ts }) => keys.forEach((key) => localStorage.setItem(key, String(ts))),
		{
			keys: [oldRoom, busyRoom].map((room) => `parley:opened:${alice.id}:${room}`),
			ts: Date.now() - 40 * 24 * 60 * 60 * 1000
		}
	);

	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Settings' })
		.click();
	await page.getByRole('main').getByRole('link', { name: 'Storage' }).click();
	await expect(page.getByRole('heading', { name: 'Storage' })).toBeVisible();
	await expect(page.getByRole('row', { name: new RegExp(oldName) })).toBeVisible();
	await expect(page.getByRole('row', { name: new RegExp(busyName) })).toContainText(
		'waiting to be sent'
	);
	await page.getByRole('button', { name: 'Free space (1 room)' }).click();
	await expect(page.getByRole('status')).toHaveText(/Forgot 1 room/);
	await expect(page.getByRole('row', { name: new RegExp(oldName) })).toHaveCount(0);
	await expect(page.getByRole('row', { name: new RegExp(busyName) })).toBeVisible();
	const databases = await page.evaluate(async () =>
		(await indexedDB.databases()).map((db) => db.name)
	);
	expect(databases).not.toContain(`parley:${alice.id}:${oldRoom}`);
	expect(databases).toContain(`parley:${alice.id}:${busyRoom}`);
});
