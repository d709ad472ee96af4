/**
 * History segments in the browser (docs/design.md, "History segments (epochs)"), against a
 * server that seals a room's head every 10 messages: open pages move to the new head without a
 * reload, older messages come back from segments ("Load older messages", also offline), and
 * what a user typed offline while the room was sealed reaches the others exactly once, in its
 * place in time, and a reaction taken back offline stays taken back.
 */
import type { Page } from '@playwright/test';
import { replicaHoldsText } from '../support/replica-probe';
import { messageItem, sendMessage } from './features-support';
import {
	createRoom,
	expect,
	goOffline,
	goOnline,
	roomName,
	roomOfTwo,
	submitMessage,
	test,
	waitUntilAvailableOffline,
	waitUntilRoomsSaved,
	waitUntilSavedLocally
} from './fixtures';

const SEAL_AFTER = 10;

// Sealed twice within seconds: no minimum interval between seals here.
test.use({ serverEnv: { SEAL_AFTER_MESSAGES: String(SEAL_AFTER), SEAL_MIN_INTERVAL_MS: '0' } });

/** The epoch of the user's replica of the room, as the page stored it. */
function storedEpoch(page: Page, userId: string, roomId: string): Promise<string | null> {
	return page.evaluate((key) => localStorage.getItem(key), `parley:epoch:${userId}:${roomId}`);
}

/**
 * Starts noting, in the page, every connection status shown and whether an alert (the "access
 * lost" notice) ever appeared, so a flash between two checks is not missed.
 */
async function watchForFlashes(page: Page): Promise<void> {
	await page.evaluate(() => {
		const seen = { statuses: new Set<string>(), alerts: 0 };
		(window as unknown as { parleySeen: typeof seen }).parleySeen = seen;
		const note = (): void => {
			for (const status of document.querySelectorAll('[role="status"]')) {
				seen.statuses.add(status.textContent?.trim() ?? '');
			}
			seen.alerts = Math.max(
				seen.alerts,
				document.querySelectorAll('.notice[role="alert"]').length
			);
		};
		new MutationObserver(note).observe(document.body, {
			subtree: true,
			childList: true,
			characterData: true
		});
		note();
	});
}

async function flashesSeen(page: Page): Promise<{ statuses: string[]; alerts: number }> {
	return page.evaluate(() => {
		const seen = (window as unknown as { parleySeen: { statuses: Set<string>; alerts: number } })
			.parleySeen;
		return { statuses: [...seen.statuses], alerts: seen.alerts };
	});
}

function line(prefix: string, n: number): string {
	return `${prefix} ${String(n).padStart(2, '0')}`;
}

/** Every message item of the log, in order. */
function items(page: Page, name: string) {
	return page.getByRole('log', { name }).getByRole('listitem');
}

/** Matches items whose text holds each of `texts` in turn (whole lines, not prefixes). */
function inOrder(texts: readonly string[]): RegExp[] {
	return texts.map((text) => new RegExp(`${text}(?!\\d)`));
}

test('two users chat past the seal: pages move to the new head, older messages load from segments', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Sealed chat');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await watchForFlashes(alicePage);
	await watchForFlashes(bobPage);

	// 25 messages: sealed at 10 and at 20, 5 left in the head (epoch 2).
	const texts = Array.from({ length: 25 }, (_, i) => line('chat line', i + 1));
	for (const [i, text] of texts.entries()) {
		const [from, to] = i % 2 === 0 ? [alicePage, bobPage] : [bobPage, alicePage];
		await submitMessage(from, text);
		await expect(messageItem(to, name, new RegExp(`${text}(?!\\d)`))).toHaveCount(1);
	}

	// Both pages kept working without a reload, now on the new head.
	for (const [page, user] of [
		[alicePage, alice],
		[bobPage, bob]
	] as const) {
		await expect.poll(() => storedEpoch(page, user.id, roomId)).toBe('2');
		await expect(page.getByRole('status')).toHaveText('Online');
		await expect(items(page, name)).toHaveText(inOrder(texts));
		// Moving to a new head never looked like a lost connection or lost access.
		const seen = await flashesSeen(page);
		expect(seen.alerts).toBe(0);
		expect(seen.statuses).not.toContain('Offline');
		expect(seen.statuses).not.toContain('Server unreachable');
	}
	// Stored by the server (and read by Bob by now).
	await expect(messageItem(alicePage, name, /chat line 25/)).toContainText(/Sent|Delivered|Read/);

	// A fresh tab opens the small head with the newest segment; "Load older" brings the rest.
	const fresh = await bob.openRoom(roomId);
	await expect(items(fresh, name)).toHaveText(inOrder(texts.slice(10)));
	const loadOlder = fresh.getByRole('button', { name: 'Load older messages' });
	await expect(fresh.getByText('10 earlier')).toBeVisible();
	await loadOlder.click();
	await expect(items(fresh, name)).toHaveText(inOrder(texts));
	await expect(loadOlder).toHaveCount(0);

	// A sealed message is edited and answered like any other, on every page.
	const sealed = messageItem(alicePage, name, /chat line 03(?!\d)/);
	await sealed.getByRole('button', { name: 'Edit', exact: true }).click();
	await alicePage.getByRole('textbox', { name: 'Edit message' }).fill('chat line 03, edited');
	await alicePage.getByRole('button', { name: 'Save' }).click();
	for (const page of [bobPage, fresh]) {
		const onPage = messageItem(page, name, /chat line 03, edited/);
		await expect(onPage).toContainText('(edited)');
	}
	await messageItem(fresh, name, /chat line 03, edited/)
		.getByRole('button', { name: 'Reply' })
		.click();
	await sendMessage(fresh, 'answering a sealed message');
	const quote = messageItem(alicePage, name, 'answering a sealed message').getByRole('button', {
		name: /In reply to/
	});
	await expect(quote).toContainText('chat line 03, edited');
});

test('messages typed offline while the room is sealed reach the others exactly once', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Offline seal');
	let alicePage = await alice.openRoom(roomId);
	// A second tab of Alice's moves at the same time: the Web Lock keeps it from writing twice.
	const aliceTab = await alice.openRoom(roomId);
	let bobPage = await bob.openRoom(roomId);
	await sendMessage(alicePage, 'alice before the seal');
	await expect(messageItem(bobPage, name, 'alice before the seal')).toHaveCount(1);
	// Its receipt may trail the forward to Bob: offline before it, it would count as waiting.
	await expect(messageItem(alicePage, name, 'alice before the seal')).toContainText(
		/Sent|Delivered|Read/
	);
	// Alice reacts while online: the seal carries her reaction into the new head.
	const thumbs = `👍 1: ${alice.username}`;
	await messageItem(alicePage, name, 'alice before the seal')
		.getByRole('button', { name: 'Add reaction' })
		.click();
	await alicePage
		.getByRole('dialog', { name: 'Choose a reaction' })
		.getByRole('group', { name: 'Frequently used' })
		.getByRole('button', { name: '👍 thumbs up' })
		.click();
	await expect(
		messageItem(bobPage, name, 'alice before the seal').getByRole('button', { name: thumbs })
	).toBeVisible();

	await goOffline(alice.context);
	await expect(alicePage.getByRole('status')).toHaveText('Offline');
	await submitMessage(alicePage, 'typed offline one');
	await submitMessage(alicePage, 'typed offline two');
	// An offline edit of a message that is sealed meanwhile.
	const before = messageItem(alicePage, name, 'alice before the seal');
	await before.getByRole('button', { name: 'Edit', exact: true }).click();
	await alicePage
		.getByRole('textbox', { name: 'Edit message' })
		.fill('alice before, edited offline');
	await alicePage.getByRole('button', { name: 'Save' }).click();
	// …and takes the reaction back offline: it must stay taken back after the seal.
	await messageItem(alicePage, name, 'alice before, edited offline')
		.getByRole('button', { name: thumbs })
		.click();
	await expect(
		messageItem(alicePage, name, 'alice before, edited offline').getByRole('group', {
			name: 'Reactions'
		})
	).toHaveCount(0);
	await waitUntilSavedLocally(alicePage, alice.id, roomId, 'typed offline two');
	await waitUntilSavedLocally(alicePage, alice.id, roomId, 'edited offline');
	await expect(alicePage.getByText('2 waiting to be sent')).toBeVisible();
	await expect(messageItem(aliceTab, name, 'typed offline two')).toHaveCount(1);

	// Bob seals the room meanwhile (10 messages with Alice's first) and writes on.
	const bobTexts = Array.from({ length: 12 }, (_, i) => line('bob alone', i + 1));
	for (const text of bobTexts) await sendMessage(bobPage, text);
	await expect.poll(() => storedEpoch(bobPage, bob.id, roomId)).toBe('1');
	await expect(messageItem(bobPage, name, 'bob alone 12')).toContainText(/Sent|Delivered|Read/);

	await goOnline(alice.context);
	await expect.poll(() => storedEpoch(alicePage, alice.id, roomId)).toBe('1');
	await expect(alicePage.getByRole('status')).toHaveText('Online');
	await expect(alicePage.getByText(/waiting to be sent/)).toBeHidden();
	for (const text of ['typed offline one', 'typed offline two']) {
		await expect(messageItem(alicePage, name, text)).toContainText(/Sent|Delivered|Read/);
	}

	// The head was sealed at 10 messages (Alice's first and Bob's first 9): the offline messages
	// keep their place in time in the new head, before Bob's later ones (rule in docs/design.md).
	const expected = [
		'alice before, edited offline',
		...bobTexts.slice(0, SEAL_AFTER - 1),
		'typed offline one',
		'typed offline two',
		...bobTexts.slice(SEAL_AFTER - 1)
	];
	const check = async (page: Page): Promise<void> => {
		await expect(items(page, name)).toHaveText(inOrder(expected));
		const sealed = messageItem(page, name, 'alice before, edited offline');
		await expect(sealed).toContainText('(edited)');
		await expect(sealed.getByRole('group', { name: 'Reactions' })).toHaveCount(0);
	};
	await check(bobPage);
	await check(alicePage);
	await check(aliceTab);

	// Both survive a reload, still once each, and Alice's old replica is gone.
	alicePage = await reload(alicePage);
	bobPage = await reload(bobPage);
	await check(alicePage);
	await check(bobPage);
	const databases = await alicePage.evaluate(async () =>
		(await indexedDB.databases()).map((db) => db.name)
	);
	expect(databases).toContain(`parley:${alice.id}:${roomId}:e1`);
	expect(databases).not.toContain(`parley:${alice.id}:${roomId}`);
});

test('a segment read online still shows after going offline and reloading', async ({ newUser }) => {
	const alice = await newUser('alice');
	const name = roomName('Segment offline');
	const roomId = await createRoom(alice.context, name);
	let page = await alice.openRoom(roomId);
	const texts = Array.from({ length: SEAL_AFTER + 2 }, (_, i) => line('solo line', i + 1));
	for (const text of texts) await sendMessage(page, text);
	await expect.poll(() => storedEpoch(page, alice.id, roomId)).toBe('1');
	await expect(items(page, name)).toHaveText(inOrder(texts));
	await expect(messageItem(page, name, texts.at(-1) ?? '')).toContainText(/Sent|Delivered|Read/);
	await expect
		.poll(() =>
			page.evaluate(replicaHoldsText, {
				name: `parley:${alice.id}:${roomId}:e1`,
				text: texts.at(-1) ?? ''
			})
		)
		.toBe(true);
	await waitUntilAvailableOffline(page, [`/rooms/${roomId}`]);
	await page.close();

	// Search without the server finds a sealed message in the kept segment (the old replica
	// that held it is gone).
	const search = await alice.context.newPage();
	await search.goto('/');
	await waitUntilRoomsSaved(search, alice.id, name);
	await search.route('**/api/search?*', (route) => route.abort('internetdisconnected'));
	await search.goto('/search?q=solo+line+03');
	await expect(search.getByText('(offline results)')).toBeVisible();
	const result = search.getByRole('main').getByRole('link', { name: new RegExp(name) });
	await expect(result).toHaveCount(1);
	await expect(result).toContainText('solo line 03');
	await search.close();

	await goOffline(alice.context);
	page = await alice.context.newPage();
	const response = await page.goto(`/rooms/${roomId}`);
	expect(response?.fromServiceWorker()).toBe(true);
	await expect(page.getByRole('status')).toHaveText('Offline');
	// The first ten are the sealed segment, from IndexedDB; the last two the head's replica.
	await expect(items(page, name)).toHaveText(inOrder(texts));
});

async function reload(page: Page): Promise<Page> {
	await page.reload();
	await expect(page.getByRole('status')).toHaveText('Online');
	return page;
}
