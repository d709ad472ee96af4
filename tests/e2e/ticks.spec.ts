/**
 * Issue 15, delivered ticks (docs/design.md "Delivered and read"): an own message goes Sent (one
 * tick) -> Delivered (two ticks) once every other member has it on a device (their tab's summary
 * channel acknowledges it) -> Read (two coloured ticks) once every other member has read it; the
 * "Message info" view lists each other member with when it was delivered and read.
 */
import type { Locator, Page } from '@playwright/test';
import {
	addMember,
	createRoom,
	expect,
	roomName,
	roomOfTwo,
	sharedRoom,
	submitMessage,
	test,
	type ChatUser
} from './fixtures';
import { messageItem } from './features-support';

/** The user's home page: its tab holds the summary channel, so this device gets every room. */
async function openHome(user: ChatUser): Promise<Page> {
	const page = await user.context.newPage();
	await page.goto('/');
	await expect(page.getByRole('heading', { name: 'Your rooms' })).toBeVisible();
	return page;
}

async function openInfo(page: Page, item: Locator): Promise<Locator> {
	await item.hover();
	await item.getByRole('button', { name: 'Message info' }).click();
	const dialog = page.getByRole('dialog', { name: 'Message info' });
	await expect(dialog).toBeVisible();
	return dialog;
}

/** The info row of one member: their name, then "Delivered …" and "Read …". */
function rowOf(dialog: Locator, username: string): Locator {
	return dialog.getByRole('listitem').filter({ hasText: username });
}

test('two members: Sent, Delivered when the other device gets it, Read when they read it', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Ticks');
	const alicePage = await alice.openRoom(roomId);
	await submitMessage(alicePage, 'Are you there?');
	const own = messageItem(alicePage, name, 'Are you there?');
	await expect(own).toContainText('Sent');

	// Bob's browser opens its home page: the room's summary reaches his device.
	const bobHome = await openHome(bob);
	await expect(own).toContainText('Delivered');
	await expect(own).not.toContainText('Read');
	let dialog = await openInfo(alicePage, own);
	await expect(rowOf(dialog, bob.username)).toContainText(/Delivered\s*\S*\d/);
	await expect(rowOf(dialog, bob.username)).toContainText(/Read\s*Not yet/);
	await dialog.getByRole('button', { name: 'Close' }).click();
	await expect(dialog).toBeHidden();

	await bobHome.getByRole('link', { name }).first().click();
	await expect(messageItem(bobHome, name, 'Are you there?')).toHaveCount(1);
	await expect(own).toContainText('Read');
	await expect(own).not.toContainText('Delivered');
	dialog = await openInfo(alicePage, own);
	await expect(rowOf(dialog, bob.username)).not.toContainText('Not yet');
});

test('three members: Delivered once both have it, Read once both have read it', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const carol = await newUser('carol');
	const name = roomName('Group ticks');
	const roomId = await createRoom(alice.context, name);
	await addMember(alice.context, roomId, bob.username);
	await addMember(alice.context, roomId, carol.username);
	const alicePage = await alice.openRoom(roomId);
	await submitMessage(alicePage, 'Hello both');
	const own = messageItem(alicePage, name, 'Hello both');
	await expect(own).toContainText('Sent');

	// Bob reads it at once; Carol is nowhere: one tick still (not on every member's device).
	const bobPage = await bob.openRoom(roomId);
	await expect(messageItem(bobPage, name, 'Hello both')).toHaveCount(1);
	let dialog = await openInfo(alicePage, own);
	await expect(rowOf(dialog, bob.username)).not.toContainText('Not yet');
	await expect(rowOf(dialog, carol.username)).toContainText(/Delivered\s*Not yet/);
	await dialog.getByRole('button', { name: 'Close' }).click();
	await expect(own).toContainText('Sent');

	// Carol's device gets it: two ticks; she has not read it: not Read yet.
	const carolHome = await openHome(carol);
	await expect(own).toContainText('Delivered');
	dialog = await openInfo(alicePage, own);
	await expect(rowOf(dialog, carol.username)).toContainText(/Read\s*Not yet/);
	await expect(rowOf(dialog, carol.username)).not.toContainText(/Delivered\s*Not yet/);
	await dialog.getByRole('button', { name: 'Close' }).click();

	await carolHome.getByRole('link', { name }).first().click();
	await expect(messageItem(carolHome, name, 'Hello both')).toHaveCount(1);
	await expect(own).toContainText('Read');
});

test('a direct message: Delivered and Message info for the other person', async ({ newUser }) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	// People who share a room start DMs at once (strangers send a request).
	await sharedRoom(alice, bob, roomName('Team'));
	const opened = await alice.context.request.post('/api/dms', {
		data: { username: bob.username }
	});
	expect(opened.status()).toBeLessThan(300);
	const { id } = (await opened.json()) as { id: string };
	const page = await alice.openRoom(id);
	await submitMessage(page, 'Just us');
	const own = page.getByRole('log').getByRole('listitem').filter({ hasText: 'Just us' });
	await expect(own).toContainText('Sent');
	await openHome(bob);
	await expect(own).toContainText('Delivered');
	const dialog = await openInfo(page, own);
	await expect(dialog.getByRole('listitem')).toHaveCount(1);
	await expect(rowOf(dialog, bob.username)).toContainText(/Read\s*Not yet/);
	await expect(rowOf(dialog, bob.username)).not.toContainText(/Delivered\s*Not yet/);
});

test('a burst of messages is acknowledged in frames at least a second apart, the last one included', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Burst');
	// The delivery acknowledgements bob's tab sends, with when the test saw each.
	const bobPage = await bob.context.newPage();
	const acks: { at: number; rooms: unknown }[] = [];
	bobPage.on('websocket', (ws) => {
		if (!ws.url().endsWith('/sync/_summaries')) return;
		ws.on('framesent', ({ payload }) => {
			if (typeof payload !== 'string' || !payload.includes('"delivered"')) return;
			acks.push({ at: Date.now(), rooms: (JSON.parse(payload) as { rooms: unknown }).rooms });
		});
	});
	await bobPage.goto('/');
	await expect(bobPage.getByRole('heading', { name: 'Your rooms' })).toBeVisible();
	const alicePage = await alice.openRoom(roomId);
	const texts = ['one', 'two', 'three', 'four', 'five'].map((word) => `Burst ${word}`);
	for (const text of texts) await submitMessage(alicePage, text);
	const last = messageItem(alicePage, name, texts.at(-1) ?? '');
	await expect(last).toContainText('Delivered');
	// Every message reached bob's tab one by one; the tab told the server at most once a second.
	expect(acks.length).toBeGreaterThan(0);
	for (let i = 1; i < acks.length; i++) {
		expect(acks[i]!.at - acks[i - 1]!.at).toBeGreaterThan(800);
	}
	expect(JSON.stringify(acks.at(-1)?.rooms)).toContain(roomId);
});
