import { expect, roomOfTwo, test } from './fixtures';
import { messageItem, sendMessage, syncClientOf } from './features-support';

test('typing @ offers the members, the picked one is inserted and highlighted for everyone', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Mentions');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);

	const box = alicePage.getByRole('textbox', { name: 'Message' });
	await box.pressSequentially(`Lunch? @${bob.username.slice(0, 4)}`);
	const suggestions = alicePage.getByRole('listbox', { name: 'Mention a member' });
	const option = suggestions.getByRole('option', { name: `@${bob.username}` });
	await expect(option).toBeVisible();
	await expect(option).toHaveAttribute('aria-selected', 'true');
	// The viewer is not offered.
	await expect(suggestions.getByRole('option', { name: `@${alice.username}` })).toHaveCount(0);
	await box.press('Enter');
	await expect(suggestions).toHaveCount(0);
	await expect(box).toHaveValue(`Lunch? @${bob.username} `);
	await box.pressSequentially('at noon');
	await box.press('Enter');
	await expect(box).toHaveValue('');

	// Escape closes the suggestions without picking.
	await box.pressSequentially('@');
	// Bob, then "@room" and "@here" (everyone).
	await expect(suggestions.getByRole('option')).toHaveCount(3);
	await box.press('Escape');
	await expect(suggestions).toHaveCount(0);
	await box.fill('');

	const onBob = messageItem(bobPage, name, 'Lunch?');
	await expect(onBob).toContainText(`Lunch? @${bob.username} at noon`);
	const mentionOnBob = onBob.locator('strong.mention', { hasText: `@${bob.username}` });
	await expect(mentionOnBob).toHaveCount(1);
	await expect(mentionOnBob).toHaveClass(/self/);
	const mentionOnAlice = messageItem(alicePage, name, 'Lunch?').locator('strong.mention');
	await expect(mentionOnAlice).toHaveText(`@${bob.username}`);
	await expect(mentionOnAlice).not.toHaveClass(/self/);
});

test('unread messages show as a count in the title until the reader reaches them', async ({
	newUser,
	server
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Unread');
	const bobPage = await bob.openRoom(roomId);
	await bobPage.setViewportSize({ width: 900, height: 400 });
	const plainTitle = `${name} · Parley`;

	const chatter = await syncClientOf(alice.context, server.syncUrl, roomId, alice.id);
	try {
		for (let i = 1; i <= 15; i++) chatter.send(`early-${i}-line`);
		await expect(messageItem(bobPage, name, 'early-15-line')).toBeInViewport();
		// Bob is at the end: everything counts as read.
		await expect(bobPage).toHaveTitle(plainTitle);

		// Bob scrolls back; two more arrive.
		await bobPage.getByRole('textbox', { name: 'Message' }).blur();
		await bobPage.mouse.wheel(0, -10_000);
		await expect(messageItem(bobPage, name, 'early-1-line')).toBeInViewport();
		chatter.send('late 1');
		chatter.send('late 2');
		await expect(bobPage).toHaveTitle(`(2) ${plainTitle}`);
	} finally {
		chatter.destroy();
	}

	// Reaching the end reads them.
	await bobPage.mouse.wheel(0, 10_000);
	await expect(bobPage).toHaveTitle(plainTitle);
});

test('a room’s level is kept per user on the server, and notifications are asked for only in Settings', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Levels');
	const alicePage = await alice.openRoom(roomId);

	// Nothing was asked on load, and the room header offers no permission button.
	expect(await alicePage.evaluate(() => Notification.permission)).toBe('default');
	await expect(alicePage.getByRole('button', { name: 'Enable notifications' })).toHaveCount(0);

	const level = alicePage.getByRole('combobox', { name: 'Notifications' });
	await expect(level).toHaveValue('default');
	const saved = alicePage.waitForResponse(
		(response) => response.url().endsWith(`/api/rooms/${roomId}/notifications`) && response.ok()
	);
	await level.selectOption('mentions');
	await saved;
	await alicePage.reload();
	await expect(alicePage.getByRole('combobox', { name: 'Notifications' })).toHaveValue('mentions');

	// Another member's level is their own.
	const bobPage = await bob.openRoom(roomId);
	await expect(bobPage.getByRole('combobox', { name: 'Notifications' })).toHaveValue('default');

	// Settings: the permission button, and the default level every room follows.
	await bobPage.goto('/settings');
	await expect(bobPage.getByRole('button', { name: 'Enable notifications' })).toBeVisible();
	const defaults = bobPage.getByRole('combobox', { name: 'Default for every room' });
	await expect(defaults).toHaveValue('all');
	const savedDefault = bobPage.waitForResponse(
		(response) => response.url().endsWith('/api/me/notifications') && response.ok()
	);
	await defaults.selectOption('nothing');
	await savedDefault;
	await bobPage.goto(`/rooms/${roomId}`);
	await expect(
		bobPage.getByRole('combobox', { name: 'Notifications' }).getByRole('option', {
			name: 'Default (Nothing)'
		})
	).toHaveCount(1);

	// Once granted, the button is gone from Settings.
	await bob.context.grantPermissions(['notifications']);
	await bobPage.goto('/settings');
	await expect(bobPage.getByText('Notifications are on in this browser.')).toBeVisible();
	await expect(bobPage.getByRole('button', { name: 'Enable notifications' })).toHaveCount(0);
	await bobPage.goto(`/rooms/${roomId}`);
	await sendMessage(bobPage, 'still works');
	await expect(messageItem(alicePage, name, 'still works')).toHaveCount(1);
});

test('the header links to rooms, direct messages and search', async ({ newUser }) => {
	const alice = await newUser('alice');
	const page = await alice.context.newPage();
	await page.goto('/');
	const nav = page.getByRole('navigation', { name: 'Main' });
	await expect(nav.getByRole('link', { name: 'Rooms' })).toHaveAttribute('aria-current', 'page');
	await nav.getByRole('link', { name: 'Direct messages' }).click();
	await expect(page).toHaveURL(/\/dms$/);
	await expect(nav.getByRole('link', { name: 'Direct messages' })).toHaveAttribute(
		'aria-current',
		'page'
	);
	await nav.getByRole('link', { name: 'Search' }).click();
	await expect(page).toHaveURL(/\/search$/);
	await nav.getByRole('link', { name: 'Rooms' }).click();
	await expect(page).toHaveURL(/\/$/);
	await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
});
