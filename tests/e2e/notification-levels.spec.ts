/**
 * Issue 15 "muted rooms count nothing" and issue 16 item 8 (docs/design.md "Notification
 * levels"): a level chosen on one device is the account's, so another device of the same user
 * counts by it at once: "Nothing" counts nothing, "Mentions only" counts mentions only.
 */
import type { Page } from '@playwright/test';
import {
	expect,
	logIn,
	newChatContext,
	roomName,
	sharedRoom,
	submitMessage,
	test
} from './fixtures';

async function setLevel(page: Page, roomId: string, level: string): Promise<void> {
	const saved = page.waitForResponse(
		(response) => response.url().endsWith(`/api/rooms/${roomId}/notifications`) && response.ok()
	);
	await page.getByRole('combobox', { name: 'Notifications' }).selectOption(level);
	await saved;
}

test('levels set on one device count on another: Nothing counts nothing, Mentions only counts mentions', async ({
	newUser,
	browser,
	server
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const quiet = roomName('Quiet');
	const busy = roomName('Busy');
	const quietId = await sharedRoom(alice, bob, quiet);
	const busyId = await sharedRoom(alice, bob, busy);

	// Bob's first device sets the levels.
	const bobPage = await bob.openRoom(quietId);
	await setLevel(bobPage, quietId, 'nothing');
	await bobPage.goto(`/rooms/${busyId}`);
	await expect(bobPage.getByRole('status')).toHaveText('Online');
	await setLevel(bobPage, busyId, 'mentions');
	await bobPage.close();

	// Bob's second device (another browser) signs in and shows the home list.
	const laptop = await newChatContext(browser, server.url);
	try {
		await logIn(laptop, bob.username);
		const home = await laptop.newPage();
		await home.goto('/');
		const list = home.getByRole('main');
		const quietEntry = list
			.getByRole('listitem')
			.filter({ has: home.getByRole('link', { name: quiet, exact: true }) });
		const busyEntry = list
			.getByRole('listitem')
			.filter({ has: home.getByRole('link', { name: busy, exact: true }) });
		await expect(quietEntry).toBeVisible();

		const alicePage = await alice.openRoom(quietId);
		await submitMessage(alicePage, 'Nobody needs this');
		await expect(quietEntry).toContainText('Nobody needs this');
		await expect(quietEntry).toContainText('muted');
		await expect(quietEntry).not.toContainText('unread');
		await expect(home).toHaveTitle('Your rooms · Parley');

		await alicePage.goto(`/rooms/${busyId}`);
		await expect(alicePage.getByRole('status')).toHaveText('Online');
		await submitMessage(alicePage, 'Chatter');
		await expect(busyEntry).toContainText('Chatter');
		await expect(home).toHaveTitle('Your rooms · Parley');
		await submitMessage(alicePage, `@${bob.username} this one is for you`);
		await expect(busyEntry).toContainText('this one is for you');
		await expect(home).toHaveTitle('(1) Your rooms · Parley');
	} finally {
		await laptop.close();
	}
});
