/**
 * Emoji: the composer's picker with search, `:shortcode` completion, reacting with any emoji
 * of the whole set (seen by the other member), the bundled colour emoji font, and axe on the
 * picker in light and dark, at 1280 and 390 px.
 */
import type { Page } from '@playwright/test';
import { axeOn, expect, roomOfTwo, test } from './fixtures';
import { messageItem, sendMessage } from './features-support';

/** Whether the page has drawn something with a downloaded face of the bundled emoji font. */
function emojiFontLoaded(page: Page): Promise<boolean> {
	return page.evaluate(() =>
		[...document.fonts].some(
			(face) => face.family.replaceAll('"', '') === 'Parley Emoji' && face.status === 'loaded'
		)
	);
}

for (const viewport of [
	{ width: 1280, height: 800 },
	{ width: 390, height: 844 }
]) {
	test.describe(`at ${viewport.width} px`, () => {
		test.use({ viewport });

		test('an emoji picked in the composer, with search, is sent in the message', async ({
			newUser
		}) => {
			const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Emoji');
			const alicePage = await alice.openRoom(roomId);
			const bobPage = await bob.openRoom(roomId);
			const box = alicePage.getByRole('textbox', { name: 'Message' });
			await box.fill('Look ');

			await alicePage.getByRole('button', { name: 'Insert emoji' }).click();
			const picker = alicePage.getByRole('dialog', { name: 'Choose an emoji' });
			// The whole set, by group, not two dozen.
			await expect(picker.getByRole('group', { name: 'Animals & nature' })).toBeVisible();
			await expect(picker.getByRole('group', { name: 'Flags' })).toBeAttached();
			expect(await picker.getByRole('button').count()).toBeGreaterThan(1000);
			await picker.getByRole('searchbox', { name: 'Search emoji' }).fill('flamingo');
			await expect(picker.getByRole('button')).toHaveCount(1);
			await picker.getByRole('button', { name: '🦩 flamingo' }).click();
			await expect(picker).toBeHidden();
			await expect(box).toHaveValue('Look 🦩');
			await expect(box).toBeFocused();

			await alicePage.keyboard.type(' pink');
			await alicePage.keyboard.press('Enter');
			await expect(messageItem(bobPage, name, 'Look 🦩 pink')).toBeVisible();
			// Drawn with the bundled font, served by the app.
			await expect.poll(() => emojiFontLoaded(bobPage)).toBe(true);
		});

		test('":smile" suggests emoji by shortcode; Enter puts the emoji in', async ({ newUser }) => {
			const { owner: alice, name, roomId } = await roomOfTwo(newUser, 'Shortcodes');
			const page = await alice.openRoom(roomId);
			const box = page.getByRole('textbox', { name: 'Message' });
			await box.click();
			await page.keyboard.type('Good morning :smile');
			const list = page.getByRole('listbox', { name: 'Emoji' });
			await expect(list.getByRole('option').first()).toHaveAccessibleName('😄 :smile:');
			await expect(list.getByRole('option', { name: '😸 :smile_cat:' })).toBeVisible();
			await expect(box).toHaveAttribute('aria-activedescendant', /.+/);
			await page.keyboard.press('Enter');
			await expect(list).toBeHidden();
			await expect(box).toHaveValue('Good morning 😄');

			// Arrow keys choose another; a click works too; times and links open nothing.
			await page.keyboard.type(' at 10:30 :tada');
			await expect(list.getByRole('option').first()).toHaveAccessibleName('🎉 :tada:');
			await list.getByRole('option').first().click();
			await expect(box).toHaveValue('Good morning 😄 at 10:30 🎉');
			await page.keyboard.press('Enter');
			await expect(messageItem(page, name, 'Good morning 😄 at 10:30 🎉')).toBeVisible();
		});

		test('a reaction with an emoji from the whole set is seen by the other member', async ({
			newUser
		}) => {
			const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'React');
			const alicePage = await alice.openRoom(roomId);
			const bobPage = await bob.openRoom(roomId);
			await sendMessage(alicePage, 'Who wants pizza?');
			const onBob = messageItem(bobPage, name, 'Who wants pizza?');

			await onBob.hover();
			const menu = onBob.getByRole('button', { name: 'Message menu' });
			if (await menu.isVisible()) await menu.click();
			await onBob.getByRole('button', { name: 'Add reaction' }).click();
			const picker = bobPage.getByRole('dialog', { name: 'Choose a reaction' });
			// The quick ones first, focused; typing searches the whole set.
			await expect(
				picker.getByRole('group', { name: 'Frequently used' }).getByRole('button').first()
			).toBeFocused();
			await bobPage.keyboard.type('pizz');
			await expect(picker.getByRole('searchbox', { name: 'Search emoji' })).toHaveValue('pizz');
			await picker.getByRole('button', { name: '🍕 pizza' }).click();

			const onAlice = messageItem(alicePage, name, 'Who wants pizza?');
			const chip = onAlice.getByRole('button', { name: `🍕 1: ${bob.username}` });
			await expect(chip).toHaveAttribute('aria-pressed', 'false');
			// Alice adds hers from the chip: the same emoji, one chip.
			await chip.click();
			await expect(
				onBob.getByRole('button', { name: `🍕 2: ${bob.username}, ${alice.username}` })
			).toBeVisible();
		});
	});
}

for (const colorScheme of ['light', 'dark'] as const) {
	test(`the emoji picker and suggestions have no serious accessibility violations (${colorScheme})`, async ({
		newUser
	}) => {
		test.slow();
		const { owner: alice, roomId } = await roomOfTwo(newUser, 'Axe emoji');
		const page = await alice.openRoom(roomId);
		await page.emulateMedia({ colorScheme });
		await page.getByRole('button', { name: 'Insert emoji' }).click();
		const picker = page.getByRole('dialog', { name: 'Choose an emoji' });
		await expect(picker.getByRole('group', { name: 'Flags' })).toBeAttached();
		// The groups after the first two repeat their markup: axe on 1,900 buttons takes minutes.
		const blocking = async (): Promise<unknown[]> =>
			(
				await axeOn(page).exclude('[role="dialog"] [role="group"]:nth-of-type(n+3)').analyze()
			).violations
				.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
				.map((violation) => ({
					rule: violation.id,
					nodes: violation.nodes.map((node) => node.target.join(' '))
				}));
		expect(await blocking()).toEqual([]);
		await picker.getByRole('searchbox', { name: 'Search emoji' }).fill('zzqqxx');
		await expect(picker).toContainText('No emoji match');
		expect(await blocking()).toEqual([]);
		await page.keyboard.press('Escape');

		await page.getByRole('textbox', { name: 'Message' }).fill(':hear');
		await page.getByRole('textbox', { name: 'Message' }).press('End');
		await expect(page.getByRole('listbox', { name: 'Emoji' })).toBeVisible();
		expect(await blocking()).toEqual([]);
	});
}
