import { expect, logIn, newChatContext, openAndRegister, test } from './fixtures';

test('each browser a user signs in with is a device they see and can remove', async ({
	newUser,
	browser,
	server
}) => {
	const ann = await newUser('ann');
	const page = await ann.context.newPage();
	await openAndRegister(page, '/devices');
	await page.reload();
	const devices = page.getByRole('list', { name: 'Your devices' }).getByRole('listitem');
	await expect(devices).toHaveCount(1);
	await expect(devices).toContainText('This device');
	// Named after the browser (Playwright's Desktop Chrome says Windows).
	await expect(devices).toContainText(/Chromium on \w+/);

	// Ann signs in from another browser: a second device with its own keys.
	const laptop = await newChatContext(browser, server.url);
	try {
		await logIn(laptop, ann.username);
		const laptopPage = await laptop.newPage();
		await openAndRegister(laptopPage, '/');
		await page.reload();
		await expect(devices).toHaveCount(2);
		// The server renders the list; "This device" is marked once the page has read its keys.
		await expect(devices.filter({ hasText: 'This device' })).toHaveCount(1);
		const other = devices.filter({ hasNotText: 'This device' });
		await other.getByRole('button', { name: /^Remove/ }).click();
		await expect(devices).toHaveCount(1);
		await expect(devices).toContainText('This device');

		// The removed browser is not registered again with its old keys: it makes new ones.
		await openAndRegister(laptopPage, '/');
		await page.reload();
		await expect(devices).toHaveCount(2);
	} finally {
		await laptop.close();
	}
});
