/**
 * The quick switcher (design.md "UI contract"): Ctrl+K opens a labelled dialog over the user's
 * rooms and DMs; typing filters, arrow keys move, Enter opens, Escape gives the focus back.
 */
import { axeOn, createRoom, expect, roomName, test } from './fixtures';

for (const viewport of [
	{ width: 1280, height: 800 },
	{ width: 390, height: 844 }
]) {
	test(`at ${viewport.width} px Ctrl+K finds a room or a DM and Enter opens it`, async ({
		newUser
	}) => {
		const alice = await newUser('alice');
		const bob = await newUser('bob');
		const garden = roomName('Switch Garden');
		const kitchen = roomName('Switch Kitchen');
		const rooms = new Map([
			[garden, await createRoom(alice.context, garden)],
			[kitchen, await createRoom(alice.context, kitchen)]
		]);
		const dm = await alice.context.request.post('/api/dms', { data: { username: bob.username } });
		expect(dm.status()).toBe(201);

		const page = await alice.context.newPage();
		await page.setViewportSize(viewport);
		await page.goto('/');
		await expect(page.getByRole('main').getByRole('link', { name: kitchen })).toBeVisible();
		const searchLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', {
			name: 'Search'
		});
		await searchLink.focus();

		// The shortcut is the layout's once the page has hydrated: press until it has.
		const dialog = page.getByRole('dialog', { name: 'Switch conversation' });
		await expect(async () => {
			await page.keyboard.press('Control+k');
			await expect(dialog).toBeVisible({ timeout: 1_000 });
		}).toPass();
		const input = dialog.getByRole('combobox', { name: 'Conversation name' });
		await expect(input).toBeFocused();
		await expect(dialog.getByRole('option')).toHaveCount(3);
		expect((await axeOn(page).include('dialog').analyze()).violations).toEqual([]);

		// Escape closes it and the focus goes back where it was.
		await page.keyboard.press('Escape');
		await expect(dialog).toBeHidden();
		await expect(searchLink).toBeFocused();

		// A DM is found by the other person's name.
		await page.keyboard.press('Control+k');
		await input.fill(bob.username);
		await expect(dialog.getByRole('option')).toHaveCount(1);
		await expect(
			dialog.getByRole('option', { name: `Direct message with ${bob.username}` })
		).toHaveCount(1);

		await input.fill('nothing like this');
		await expect(dialog.getByRole('option')).toHaveCount(0);
		await expect(dialog.getByRole('status')).toHaveText('Nothing matches.');

		// Typing narrows, the first match is picked, arrows move (and wrap), Enter opens.
		await input.fill('switch');
		const options = dialog.getByRole('option');
		await expect(options).toHaveCount(2);
		await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');
		await input.press('ArrowDown');
		await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true');
		await expect(options.nth(0)).toHaveAttribute('aria-selected', 'false');
		await input.press('ArrowDown');
		await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');
		await input.press('ArrowUp');
		const label = (await options.nth(1).textContent()) ?? '';
		const chosen = [...rooms.keys()].find((name) => label.includes(name)) ?? '';
		const chosenId = rooms.get(chosen);
		expect(chosenId).toBeDefined();
		await input.press('Enter');
		await expect(dialog).toBeHidden();
		await expect(page).toHaveURL(new RegExp(`/rooms/${chosenId}$`));
		await expect(page.getByRole('heading', { name: chosen })).toBeVisible();

		// It opens from the room page's composer too.
		await page.getByRole('textbox', { name: 'Message' }).focus();
		await page.keyboard.press('Control+k');
		await expect(dialog).toBeVisible();
		await page.keyboard.press('Escape');
		await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
	});
}
