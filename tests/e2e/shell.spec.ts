/**
 * The chat shell (issue 15): the sidebar and the home list fed by the summary channel, totals in
 * the title, muted rooms, a new DM appearing live, the cached list on an offline cold start and
 * the phone layout.
 */
import type { Page } from '@playwright/test';
import {
	expect,
	goOffline,
	logIn,
	newChatContext,
	roomName,
	sharedRoom,
	submitMessage,
	test,
	waitUntilAvailableOffline
} from './fixtures';

function sidebarOf(page: Page) {
	return page.getByRole('complementary', { name: 'Conversations' });
}

/** The list entry (sidebar or home list) whose link is named `name`. */
function entryOf(scope: ReturnType<Page['locator']> | Page, page: Page, name: string | RegExp) {
	return scope
		.getByRole('listitem')
		.filter({ has: page.getByRole('link', { name, exact: typeof name === 'string' }) });
}

test('the sidebar counts messages that arrived in another room, with mentions; a read on another device clears them', async ({
	newUser,
	browser,
	baseURL
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const nameA = roomName('Garden');
	const nameB = roomName('Attic');
	const roomA = await sharedRoom(alice, bob, nameA);
	const roomB = await sharedRoom(alice, bob, nameB);

	const bobPage = await bob.openRoom(roomB);
	const sidebar = sidebarOf(bobPage);
	await expect(sidebar.getByRole('link', { name: nameB, exact: true })).toHaveAttribute(
		'aria-current',
		'page'
	);
	const alicePage = await alice.openRoom(roomA);
	await submitMessage(alicePage, 'Seeds arrived');
	await submitMessage(alicePage, `@${bob.username} can you water them?`);

	const entryA = entryOf(sidebar, bobPage, nameA);
	await expect(entryA).toContainText('2 unread');
	await expect(entryA).toContainText('1 mention');
	await expect(entryA).toContainText(`${alice.username}: @${bob.username} can you water them?`);
	await expect(bobPage).toHaveTitle(`(2) ${nameB} · Parley`);
	// Sorted by activity: the room with the newest message comes first.
	await expect(sidebar.getByRole('listitem').first()).toContainText(nameA);

	// Bob reads room A on another device: the count goes on this one too.
	const phone = await newChatContext(browser, baseURL ?? '');
	try {
		await logIn(phone, bob.username);
		const phonePage = await phone.newPage();
		await phonePage.goto(`/rooms/${roomA}`);
		await expect(phonePage.getByRole('status')).toHaveText('Online');
		await expect(phonePage.getByRole('log', { name: nameA })).toContainText('can you water them?');
		await expect(entryA).not.toContainText('unread');
		await expect(entryA).not.toContainText('mention');
		await expect(bobPage).toHaveTitle(`${nameB} · Parley`);
	} finally {
		await phone.close();
	}
});

test('the open room’s entry follows its replica while the server withholds its summaries, which catch up on leaving', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const nameA = roomName('Porch');
	const nameB = roomName('Cellar');
	const roomA = await sharedRoom(alice, bob, nameA);
	const roomB = await sharedRoom(alice, bob, nameB);

	// Every summary frame naming room A that bob's tab receives, and the frames it sends.
	const bobPage = await bob.context.newPage();
	const framesForA: string[] = [];
	const sent: string[] = [];
	bobPage.on('websocket', (ws) => {
		if (!ws.url().endsWith('/sync/_summaries')) return;
		ws.on('framereceived', ({ payload }) => {
			if (typeof payload === 'string' && payload.includes(roomA)) framesForA.push(payload);
		});
		ws.on('framesent', ({ payload }) => {
			if (typeof payload === 'string') sent.push(payload);
		});
	});
	await bobPage.goto(`/rooms/${roomA}`);
	await expect(bobPage.getByRole('status')).toHaveText('Online');
	await expect.poll(() => sent).toContainEqual(JSON.stringify({ type: 'open', roomId: roomA }));
	const before = framesForA.length;

	const alicePage = await alice.openRoom(roomA);
	await submitMessage(alicePage, 'First frost tonight');
	await submitMessage(alicePage, 'Bring the pots in');
	const sidebar = sidebarOf(bobPage);
	const entryA = entryOf(sidebar, bobPage, nameA);
	await expect(bobPage.getByRole('log', { name: nameA })).toContainText('Bring the pots in');
	// The sidebar shows the newest message from the room itself, and no count: bob is reading.
	await expect(entryA).toContainText(`${alice.username}: Bring the pots in`);
	await expect(entryA).not.toContainText('unread');
	// Delivered from the replica: alice sees two ticks without bob's tab being sent a summary.
	await expect(
		alicePage.getByRole('log', { name: nameA }).getByRole('listitem').last()
	).toContainText(/Delivered|Read/);
	expect(framesForA.slice(before).filter((frame) => frame.includes('"type":"room"'))).toEqual([]);

	// Bob goes to room B: room A's summary arrives at once (or in a snapshot, should the socket
	// be re-listed meanwhile), with the messages he was not sent.
	const leftAt = framesForA.length;
	await entryOf(sidebar, bobPage, nameB).getByRole('link').click();
	await expect(bobPage).toHaveURL(new RegExp(`/rooms/${roomB}$`));
	await expect(bobPage.getByRole('log', { name: nameB })).toBeVisible();
	await expect
		.poll(() => framesForA.slice(leftAt).some((frame) => frame.includes('Bring the pots in')))
		.toBe(true);
	await submitMessage(alicePage, 'And the watering can');
	await expect(entryA).toContainText(`${alice.username}: And the watering can`);
});

test('a muted room counts nothing and a new DM appears live', async ({ newUser }) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const nameA = roomName('Noisy');
	const nameB = roomName('Quiet');
	const roomA = await sharedRoom(alice, bob, nameA);
	const roomB = await sharedRoom(alice, bob, nameB);

	const bobPage = await bob.openRoom(roomA);
	const saved = bobPage.waitForResponse(
		(response) => response.url().endsWith(`/api/rooms/${roomA}/notifications`) && response.ok()
	);
	await bobPage.getByRole('combobox', { name: 'Notifications' }).selectOption('nothing');
	await saved;
	await bobPage.goto(`/rooms/${roomB}`);
	await expect(bobPage.getByRole('status')).toHaveText('Online');

	const alicePage = await alice.openRoom(roomA);
	await submitMessage(alicePage, 'Chatter nobody needs');
	const entryA = entryOf(sidebarOf(bobPage), bobPage, nameA);
	await expect(entryA).toContainText('Chatter nobody needs');
	await expect(entryA).toContainText('muted');
	await expect(entryA).not.toContainText('unread');
	await expect(bobPage).toHaveTitle(`${nameB} · Parley`);

	// Alice starts a DM with Bob: it shows in Bob's sidebar without a reload.
	const dm = await alice.context.request.post('/api/dms', {
		data: { username: bob.username },
		headers: { origin: new URL(alicePage.url()).origin }
	});
	expect(dm.status()).toBeLessThan(300);
	await expect(
		sidebarOf(bobPage).getByRole('link', { name: `Direct message with ${alice.username}` })
	).toBeVisible();
});

test("the list with its counts is in the server's HTML, and an offline cold start shows the cached one", async ({
	newUser,
	browser,
	baseURL
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName('Cached');
	const roomId = await sharedRoom(alice, bob, name);
	const alicePage = await alice.openRoom(roomId);
	await submitMessage(alicePage, 'Read me later');
	await expect(alicePage.getByRole('log', { name })).toContainText('Sent');

	// A full page load carries the sidebar in its markup (not only in the hydration data).
	const html = await (await bob.context.request.get('/settings')).text();
	const markup = html.replace(/<script[\s\S]*?<\/script>/g, '');
	expect(markup).toContain(`rooms/${roomId}"`);
	expect(markup).toContain(name);
	expect(markup).toContain('Read me later');
	expect(markup).toMatch(/>1<span[^>]*>(&nbsp;|\u00a0)unread</);
	// A client-side navigation's data does not read the list again: the store holds it.
	const data = await (await bob.context.request.get('/settings/__data.json')).text();
	expect(data).toContain(bob.username);
	expect(data).not.toContain('Read me later');
	// Without JavaScript the sidebar lists the room with its count.
	const noScript = await browser.newContext({
		baseURL,
		javaScriptEnabled: false,
		storageState: await bob.context.storageState()
	});
	try {
		const page = await noScript.newPage();
		await page.goto('/settings');
		const entry = entryOf(sidebarOf(page), page, name);
		await expect(entry).toContainText('1 unread');
		await expect(entry).toContainText(`${alice.username}: Read me later`);
	} finally {
		await noScript.close();
	}

	let page = await bob.context.newPage();
	await page.goto('/');
	await expect(entryOf(page, page, name)).toContainText('1 unread');
	await waitUntilAvailableOffline(page, ['/']);
	// Saved in IndexedDB (gathered for a moment after each change).
	await expect
		.poll(() =>
			page.evaluate(
				(userId) =>
					new Promise<string>((resolve) => {
						const open = indexedDB.open('parley-summaries', 1);
						open.onsuccess = () => {
							const get = open.result.transaction('lists').objectStore('lists').get(userId);
							get.onsuccess = () => resolve(JSON.stringify(get.result ?? null));
							get.onerror = () => resolve('');
						};
						open.onerror = () => resolve('');
					}),
				bob.id
			)
		)
		.toContain('Read me later');
	await page.close();

	await goOffline(bob.context);
	page = await bob.context.newPage();
	await page.goto('/');
	const entry = entryOf(page, page, name);
	await expect(entry).toContainText('1 unread');
	await expect(entry).toContainText('Read me later');
	await expect(page).toHaveTitle('(1) Your rooms · Parley');
});

test('on a 390 px phone the header is one line and the home screen is the list', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName('Pocket');
	const roomId = await sharedRoom(alice, bob, name);
	const alicePage = await alice.openRoom(roomId);
	await submitMessage(alicePage, 'On the go');

	const page = await bob.context.newPage();
	await page.setViewportSize({ width: 390, height: 800 });
	await page.goto(`/rooms/${roomId}`);
	await expect(page.getByRole('status')).toHaveText('Online');
	await expect(sidebarOf(page)).toBeHidden();
	const nav = page.getByRole('navigation', { name: 'Main' });
	const boxes = await Promise.all(
		[
			page.getByRole('link', { name: 'Parley' }),
			nav.getByRole('link', { name: 'Rooms' }),
			nav.getByRole('link', { name: 'Direct messages' }),
			nav.getByRole('link', { name: 'Search' }),
			nav.getByRole('link', { name: 'Settings' }),
			page.getByRole('button', { name: 'Log out' })
		].map((locator) => locator.boundingBox())
	);
	const tops = boxes.map((box) => box?.y ?? -1);
	const header = await page.locator('header.app-header').boundingBox();
	expect(header?.height ?? 0).toBeLessThan(56);
	for (const box of boxes) {
		expect(box).not.toBeNull();
		// Every control sits inside the header's one line, none off screen.
		expect((box?.y ?? 0) + (box?.height ?? 0)).toBeLessThanOrEqual((header?.height ?? 0) + 1);
		expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
	}
	expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(12);
	// Side by side, in order, none drawn over the next.
	for (let i = 1; i < boxes.length; i++) {
		const [left, right] = [boxes[i - 1], boxes[i]];
		expect((left?.x ?? 0) + (left?.width ?? 0)).toBeLessThanOrEqual(right?.x ?? 0);
	}

	await nav.getByRole('link', { name: 'Rooms' }).click();
	await expect(page.getByRole('heading', { name: 'Your rooms' })).toBeVisible();
	await expect(entryOf(page, page, name)).toBeVisible();
	const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(scrollWidth).toBeLessThanOrEqual(390);
});

test('on a 390 px phone a long preview is cut short and the list fits the screen, counts included', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName('Narrow');
	const roomId = await sharedRoom(alice, bob, name);
	const alicePage = await alice.openRoom(roomId);
	await submitMessage(
		alicePage,
		'A preview far longer than a phone is wide, which the list must cut with an ellipsis'
	);

	const page = await bob.context.newPage();
	await page.setViewportSize({ width: 390, height: 800 });
	await page.goto('/');
	const entry = entryOf(page, page, name);
	await expect(entry).toContainText('1 unread');
	const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(scrollWidth).toBeLessThanOrEqual(390);
	const count = await entry.getByText('1 unread', { exact: true }).boundingBox();
	expect(count).not.toBeNull();
	expect((count?.x ?? 0) + (count?.width ?? 0)).toBeLessThanOrEqual(390);
});

test('who is online shows in the sidebar, the DM header and the member list, live, and goes when they leave', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName('Online');
	const roomId = await sharedRoom(alice, bob, name);
	const bobPage = await bob.openRoom(roomId);
	const dm = await bob.context.request.post('/api/dms', {
		data: { username: alice.username },
		headers: { origin: new URL(bobPage.url()).origin }
	});
	expect(dm.status()).toBeLessThan(300);
	const entry = entryOf(sidebarOf(bobPage), bobPage, `Direct message with ${alice.username}`);
	await expect(entry).toBeVisible();
	// Alice has no tab open: her DM's dot is empty.
	await expect(entry.getByTitle('Offline')).toBeVisible();
	await expect(entry).not.toContainText('online');

	const alicePage = await alice.context.newPage();
	await alicePage.goto('/');
	await expect(entry.getByTitle('Online')).toBeVisible();
	await expect(entry).toContainText('online');

	// The member list says who of the members is online (bob himself, alice), not carol.
	await bobPage.getByRole('link', { name: 'Members' }).click();
	await expect(bobPage.getByRole('heading', { name: `Members of ${name}` })).toBeVisible();
	const members = bobPage.getByRole('region', { name: `Members of ${name}` });
	const rowOf = (username: string) =>
		members.getByRole('listitem').filter({ has: bobPage.getByRole('link', { name: username }) });
	await expect(rowOf(alice.username)).toContainText('online');
	await expect(rowOf(bob.username)).toContainText('online');

	// The DM's header says it too.
	const { id: dmId } = (await dm.json()) as { id: string };
	const dmPage = await bob.openRoom(dmId);
	await expect(dmPage.locator('.room-header')).toContainText('online');

	// Alice closes her tab: everywhere it goes, without a reload.
	await alicePage.close();
	await expect(rowOf(alice.username)).not.toContainText('online');
	await expect(rowOf(bob.username)).toContainText('online');
	await expect(entry.getByTitle('Offline')).toBeVisible();
	await expect(dmPage.locator('.room-header')).not.toContainText('online');
});

test('a page paints before it asks for its script modules, then preloads them all at once', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const page = await alice.context.newPage();
	// When each modulepreload link joins the document, in the page's clock, by its URL.
	await page.addInitScript(() => {
		const added: Record<string, number> = {};
		Object.assign(window, { modulepreloadsAddedAt: added });
		new MutationObserver((records) => {
			for (const record of records) {
				for (const node of record.addedNodes) {
					if (node instanceof HTMLLinkElement && node.rel === 'modulepreload') {
						added[node.href] ??= performance.now();
					}
				}
			}
		}).observe(document, { childList: true, subtree: true });
	});
	const hydrated = page.waitForEvent('websocket', (ws) => ws.url().includes('_summaries'));
	const response = await page.goto('/settings');
	if (!response) throw new Error('no response');
	expect(await response.headerValue('link')).not.toMatch(/modulepreload/);
	await hydrated;
	const listed = /for \(const href of (\[[^\]]*\])\)/.exec(await response.text())?.[1];
	const urls = (JSON.parse(listed ?? '[]') as string[]).map(
		(path) => new URL(path, page.url()).href
	);
	expect(urls.length).toBeGreaterThan(0);
	const { added, paintedAt } = await page.evaluate(() => ({
		added: (window as unknown as { modulepreloadsAddedAt: Record<string, number> })
			.modulepreloadsAddedAt,
		paintedAt: performance.getEntriesByType('paint')[0]?.startTime ?? null
	}));
	expect(paintedAt).not.toBeNull();
	for (const url of urls) {
		expect(added[url], url).toBeDefined();
		expect(added[url]).toBeGreaterThanOrEqual(paintedAt ?? Infinity);
	}
});
