import { roomOfTwo, test, expect } from './fixtures';
import { sendMessage } from './features-support';

test('screenshots', async ({ newUser }) => {
	test.setTimeout(240_000);
	const { owner: alice, roomId } = await roomOfTwo(newUser, 'Shots');
	const page = await alice.openRoom(roomId);
	await sendMessage(page, 'Hello 👋 party 🎉 flags 🇫🇷 ❤️ and digits 10:30 #1 ©');
	for (const colorScheme of ['light', 'dark'] as const) {
		for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
			await page.setViewportSize(viewport);
			await page.emulateMedia({ colorScheme });
			const t0 = Date.now();
			await page.getByRole('button', { name: 'Insert emoji' }).click();
			await expect(page.getByRole('dialog').getByRole('group', { name: 'Flags' })).toBeAttached();
			console.log('open ms', Date.now() - t0);
			await page.waitForTimeout(800);
			await page.screenshot({ path: `/tmp/media-shots/picker-${viewport.width}-${colorScheme}.png` });
			await page.keyboard.press('Escape');
			const box = page.getByRole('textbox', { name: 'Message' });
			await box.fill(':smi');
			await box.press('End');
			await expect(page.getByRole('listbox', { name: 'Emoji' })).toBeVisible();
			await page.screenshot({ path: `/tmp/media-shots/suggest-${viewport.width}-${colorScheme}.png` });
			await box.fill('');
		}
	}
});
