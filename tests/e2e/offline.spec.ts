import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { historyId, storeMessagesAsSnapshot } from '../support/stored';
import {
	createRoom,
	cutSyncOnly,
	expect,
	goOffline,
	goOnline,
	logIn,
	newChatContext,
	registerUser,
	roomName,
	roomOfTwo,
	submitMessage,
	test,
	waitUntilAvailableOffline,
	waitUntilSavedLocally,
	type ChatUser
} from './fixtures';

function messagesOf(page: Page, name: string) {
	return page.getByRole('log', { name }).getByRole('listitem');
}

function messageOf(page: Page, name: string, text: string) {
	return messagesOf(page, name).filter({ hasText: text });
}

test('a room and the room list open from a cold start without network', async ({ newUser }) => {
	const alice = await newUser('alice');
	const name = roomName('Cold start');
	const roomId = await createRoom(alice.context, name);
	let page = await alice.context.newPage();
	await page.goto('/');
	await expect(page.getByRole('link', { name })).toBeVisible();
	await page.goto(`/rooms/${roomId}`);
	await expect(page.getByRole('status')).toHaveText('Online');
	await submitMessage(page, 'History that must survive');
	await expect(messageOf(page, name, 'History that must survive')).toContainText('Sent');
	await waitUntilSavedLocally(page, alice.id, roomId, 'History that must survive');
	await waitUntilAvailableOffline(page, ['/', `/rooms/${roomId}`]);
	await page.close();

	await goOffline(alice.context);
	page = await alice.context.newPage();
	const response = await page.goto(`/rooms/${roomId}`);
	expect(response?.fromServiceWorker()).toBe(true);
	await expect(page.getByRole('heading', { name })).toBeVisible();
	await expect(messageOf(page, name, 'History that must survive')).toHaveCount(1);
	await expect(page.getByRole('status')).toHaveText('Offline');

	const home = await page.goto('/');
	expect(home?.fromServiceWorker()).toBe(true);
	await expect(page.getByRole('link', { name })).toBeVisible();
});

test('two tabs of one browser see each other’s messages at once while offline', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const name = roomName('Tabs');
	const roomId = await createRoom(alice.context, name);
	const first = await alice.openRoom(roomId);
	const second = await alice.openRoom(roomId);

	await goOffline(alice.context);
	await expect(first.getByRole('status')).toHaveText('Offline');
	await submitMessage(first, 'Typed in the first tab');
	await submitMessage(second, 'Typed in the second tab');
	for (const page of [first, second]) {
		await expect(messagesOf(page, name)).toHaveText([
			/Typed in the first tab/,
			/Typed in the second tab/
		]);
	}

	// Back online: still one copy of each, now stored.
	await goOnline(alice.context);
	for (const page of [first, second]) {
		await expect(page.getByRole('status')).toHaveText('Online');
		await expect(messagesOf(page, name)).toHaveText([/Sent.*first tab/, /Sent.*second tab/]);
	}
});

test('two devices of one user write offline and every replica ends in the same order', async ({
	newUser,
	browser,
	server
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Devices');
	const laptopContext = alice.context;
	const phoneContext = await newChatContext(browser, server.url);
	try {
		await logIn(phoneContext, alice.username);
		const laptop = await alice.openRoom(roomId);
		const phone = await phoneContext.newPage();
		await phone.goto(`/rooms/${roomId}`);
		await expect(phone.getByRole('status')).toHaveText('Online');
		const bobPage = await bob.openRoom(roomId);

		await goOffline(laptopContext);
		await goOffline(phoneContext);
		const sent: Array<[Page, string]> = [
			[laptop, 'laptop one'],
			[phone, 'phone one'],
			[laptop, 'laptop two'],
			[phone, 'phone two']
		];
		for (const [page, text] of sent) {
			await submitMessage(page, text);
			await waitUntilSavedLocally(page, alice.id, roomId, text);
		}
		await expect(laptop.getByText('2 waiting to be sent')).toBeVisible();
		await expect(phone.getByText('2 waiting to be sent')).toBeVisible();

		await goOnline(laptopContext);
		await goOnline(phoneContext);
		const texts = async (page: Page): Promise<string[]> =>
			(await messagesOf(page, name).allTextContents()).map(
				(t) => (t.match(/(laptop|phone) (one|two)/) ?? [''])[0]
			);
		await expect.poll(() => texts(bobPage)).toHaveLength(4);
		const order = await texts(bobPage);
		expect([...order].sort()).toEqual(['laptop one', 'laptop two', 'phone one', 'phone two']);
		await expect.poll(() => texts(laptop)).toEqual(order);
		await expect.poll(() => texts(phone)).toEqual(order);
		for (const page of [laptop, phone]) {
			await expect(page.getByText(/waiting to be sent/)).toBeHidden();
		}
	} finally {
		await phoneContext.close();
	}
});

test('a reload while offline keeps the pending message, which goes out on reconnect', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Reload');
	const page = await alice.openRoom(roomId);
	await waitUntilAvailableOffline(page, [`/rooms/${roomId}`]);

	await goOffline(alice.context);
	const text = 'Survives a reload offline';
	await submitMessage(page, text);
	await waitUntilSavedLocally(page, alice.id, roomId, text);
	await page.reload();
	await expect(page.getByRole('status')).toHaveText('Offline');
	await expect(messageOf(page, name, text)).toContainText('Pending');
	await expect(page.getByText('1 waiting to be sent')).toBeVisible();

	await goOnline(alice.context);
	await expect(page.getByRole('status')).toHaveText('Online');
	await expect(messageOf(page, name, text)).toContainText('Sent');
	await expect(page.getByText(/waiting to be sent/)).toBeHidden();
	const bobPage = await bob.openRoom(roomId);
	await expect(messageOf(bobPage, name, text)).toHaveCount(1);
});

test('own messages go from Pending to Sent to Read as another member opens the room', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Receipts');
	const page = await alice.openRoom(roomId);

	await goOffline(alice.context);
	await submitMessage(page, 'Did you get this?');
	const own = messageOf(page, name, 'Did you get this?');
	await expect(own).toContainText('Pending');

	await goOnline(alice.context);
	await expect(own).toContainText('Sent');
	await expect(own).not.toContainText('Read');

	const bobPage = await bob.openRoom(roomId);
	await expect(messageOf(bobPage, name, 'Did you get this?')).toHaveCount(1);
	await expect(own).toContainText('Read');
	await expect(own).not.toContainText('Sent');
});

test('messages that arrived unseen are counted on the home page and marked in the room', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Unread');
	const alicePage = await alice.openRoom(roomId);
	// Enough text to scroll, so that Bob can look away from the end of the log.
	await submitMessage(alicePage, Array.from({ length: 80 }, (_, i) => `line ${i}`).join('\n'));

	const bobPage = await bob.openRoom(roomId);
	await bobPage.setViewportSize({ width: 800, height: 400 });
	await expect(messagesOf(bobPage, name)).toHaveCount(1);
	await expect(messageOf(alicePage, name, 'line 0')).toContainText('Read');
	await bobPage.evaluate(() => window.scrollTo({ top: 0 }));

	await submitMessage(alicePage, 'First unseen');
	await submitMessage(alicePage, 'Second unseen');
	await expect(messagesOf(bobPage, name)).toHaveCount(3);
	// On Bob's device (his tab's summary channel has it), not read: two ticks, not coloured.
	await expect(messageOf(alicePage, name, 'Second unseen')).toContainText('Delivered');
	await waitUntilSavedLocally(bobPage, bob.id, roomId, 'Second unseen');

	await bobPage.getByRole('link', { name: 'All rooms' }).click();
	const roomItem = bobPage
		.getByRole('listitem')
		.filter({ has: bobPage.getByRole('link', { name }) });
	await expect(roomItem).toContainText('2 unread');

	await bobPage.getByRole('link', { name }).click();
	const divider = bobPage.getByRole('separator', { name: 'New messages' });
	await expect(divider).toBeVisible();
	await expect(messagesOf(bobPage, name)).toHaveText([/line 0/, /First unseen/, /Second unseen/]);
	// The divider sits right before the first unseen message.
	await expect(bobPage.getByRole('log', { name }).locator('li').nth(1)).toHaveAccessibleName(
		'New messages'
	);
	await expect(messageOf(alicePage, name, 'Second unseen')).toContainText('Read');
});

/** A new user's home page, once the service worker controls it and keeps "/" for offline. */
async function homeWithWorker(
	newUser: (prefix?: string) => Promise<ChatUser>
): Promise<{ alice: ChatUser; page: Page }> {
	const alice = await newUser('alice');
	const page = await alice.context.newPage();
	await page.goto('/');
	await waitUntilAvailableOffline(page, ['/']);
	return { alice, page };
}

test('a page the worker controls takes its scripts and styles straight from the precache', async ({
	newUser
}) => {
	const { alice } = await homeWithWorker(newUser);
	const again = await alice.context.newPage();
	await again.goto('/');
	await expect(again.getByRole('heading', { level: 1 })).toBeVisible();
	// Resource Timing names the source a static route chose (Chromium 123+): the precache, with
	// no fetch event for any of them.
	const sources = await again.evaluate(() =>
		(performance.getEntriesByType('resource') as PerformanceResourceTiming[])
			.filter((entry) => /\/_app\/immutable\/.*\.(js|css)$/.test(new URL(entry.name).pathname))
			.map((entry) => {
				const routed = entry as PerformanceResourceTiming & {
					workerMatchedSourceType?: string;
					deliveryType?: string;
				};
				return `${routed.workerMatchedSourceType ?? 'none'} ${routed.deliveryType ?? 'none'}`;
			})
	);
	expect(sources.length).toBeGreaterThan(10);
	expect(new Set(sources)).toEqual(new Set(['cache cache-storage']));
});

test('a first visit registers the service worker only once the room it opened has synced', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const name = roomName('First visit');
	const roomId = await createRoom(alice.context, name);
	await storeMessagesAsSnapshot(
		server.dataDir,
		roomId,
		Array.from({ length: 200 }, (_, n) => ({
			id: historyId(n),
			author: alice.id,
			text: `stored message ${n}`,
			ts: 1_700_000_000_000 + n * 1_000
		}))
	);
	const page = await alice.context.newPage();
	// Stamps the first registration call and the first frame that shows the latest message.
	await page.addInitScript(() => {
		const probe = window as unknown as { registeredAt?: number; shownAt?: number };
		const container = navigator.serviceWorker;
		const register = container.register.bind(container);
		container.register = (...args: Parameters<ServiceWorkerContainer['register']>) => {
			probe.registeredAt ??= performance.now();
			return register(...args);
		};
		const poll = (): void => {
			const shown = [...document.querySelectorAll('[role="log"] li')].some((item) =>
				item.textContent?.includes('stored message 199')
			);
			if (shown) probe.shownAt = performance.now();
			else requestAnimationFrame(poll);
		};
		requestAnimationFrame(poll);
	});
	await page.goto(`/rooms/${roomId}`);
	await expect(messageOf(page, name, 'stored message 199')).toBeVisible();
	await page.evaluate(() => navigator.serviceWorker.ready);
	const { registeredAt, shownAt } = await page.evaluate(() => {
		const probe = window as unknown as { registeredAt?: number; shownAt?: number };
		return { registeredAt: probe.registeredAt ?? NaN, shownAt: probe.shownAt ?? NaN };
	});
	expect(registeredAt).toBeGreaterThan(shownAt);
	// And it still makes the room available offline.
	await waitUntilAvailableOffline(page, [`/rooms/${roomId}`]);
});

test('the app passes Chromium’s installability checks', async ({
	playwright,
	server
}, testInfo) => {
	// Chromium never offers to install from an incognito profile, which a plain context is.
	const profile = await mkdtemp(join(tmpdir(), 'parley-profile-'));
	const context = await playwright.chromium.launchPersistentContext(profile, {
		...testInfo.project.use.launchOptions,
		baseURL: server.url
	});
	try {
		await registerUser(context, server.url, 'installer');
		const page = await context.newPage();
		await page.goto('/');
		await waitUntilAvailableOffline(page, ['/']);
		const cdp = await context.newCDPSession(page);
		const manifest = await cdp.send('Page.getAppManifest');
		expect(manifest.url).toMatch(/\/manifest\.webmanifest$/);
		expect(manifest.errors).toEqual([]);
		const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
		expect(installabilityErrors).toEqual([]);
	} finally {
		await context.close();
		await rm(profile, { recursive: true, force: true });
	}
});

test('a new version waits for the user: "Update available", then Reload switches to it', async ({
	newUser
}) => {
	const { page } = await homeWithWorker(newUser);
	const prompt = page.getByRole('alert').filter({ hasText: 'Update available' });
	await expect(prompt).toHaveCount(0);

	// A deployment without rebuilding: a changed script URL is a new version to the browser, and
	// pages loaded from now on register that URL (as pages of a real deployment register theirs).
	const next = '/service-worker.js?next=1';
	await page.addInitScript((nextUrl) => {
		const register = ServiceWorkerContainer.prototype.register;
		ServiceWorkerContainer.prototype.register = function (url, options) {
			const ours = String(url).endsWith('service-worker.js');
			return register.call(this, ours ? nextUrl : url, options);
		};
	}, next);
	await page.evaluate(async (nextUrl) => {
		await navigator.serviceWorker.register(nextUrl);
	}, next);
	await expect(prompt).toBeVisible();
	// Nothing switched on its own: the old worker still controls the page.
	const controller = (): Promise<string> =>
		page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? '');
	expect(await controller()).not.toContain('next=1');

	await Promise.all([
		page.waitForEvent('load'),
		prompt.getByRole('button', { name: 'Reload' }).click()
	]);
	expect(await controller()).toContain('next=1');
	await expect(page.getByRole('heading', { name: 'Your rooms' })).toBeVisible();
	await expect(prompt).toHaveCount(0);
});

test('the status tells a dead server from a missing network', async ({ newUser }) => {
	const alice = await newUser('alice');
	const roomId = await createRoom(alice.context, roomName('Status'));
	const page = await alice.openRoom(roomId);
	const status = page.getByRole('status');

	await cutSyncOnly(alice.context);
	await expect(status).toHaveText('Offline');
	// The browser still has a network: after a few seconds of failures, blame the server.
	await expect(status).toHaveText('Server unreachable', { timeout: 15_000 });

	await goOffline(alice.context);
	await expect(status).toHaveText('Offline');
	await goOnline(alice.context);
	await expect(status).toHaveText('Online');
});
