/**
 * Issue 16, item 1: formatting. What a member types shows formatted for everyone, and hostile
 * markup shows as the text that was typed — no element, handler or script link is made of it.
 */
import { expect, roomOfTwo, test } from './fixtures';
import { messageItem, sendMessage } from './features-support';

const HOSTILE = [
	'**bold** _italic_ `a<b>c` ~~gone~~',
	'<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>',
	'[click me](javascript:window.__pwned=3) [data](data:text/html,<b>x</b>) [ok](https://example.com/ok)',
	'> quoted line',
	'',
	'- first',
	'- second'
].join('\n');

for (const width of [1280, 390]) {
	test(`formatting shows for the other member and hostile markup stays text (${width} px)`, async ({
		newUser
	}) => {
		const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Formatting');
		const alicePage = await alice.openRoom(roomId);
		const bobPage = await bob.openRoom(roomId);
		await bobPage.setViewportSize({ width, height: 800 });

		await sendMessage(alicePage, HOSTILE);
		const message = messageItem(bobPage, name, 'bold').first();
		await expect(message.locator('strong', { hasText: 'bold' })).toBeVisible();
		await expect(message.locator('em', { hasText: 'italic' })).toBeVisible();
		await expect(message.locator('code', { hasText: 'a<b>c' })).toBeVisible();
		await expect(message.locator('del', { hasText: 'gone' })).toBeVisible();
		await expect(message.locator('blockquote', { hasText: 'quoted line' })).toBeVisible();
		await expect(message.locator('ul > li')).toHaveText(['first', 'second']);

		// The markup is text: shown as typed, no element made of it, nothing ran.
		await expect(message).toContainText('<img src=x onerror="window.__pwned=1">');
		await expect(message).toContainText('<script>window.__pwned=2</script>');
		await expect(message.locator('img, script, iframe')).toHaveCount(0);
		await expect(message.locator('a')).toHaveCount(1);
		await expect(message.getByRole('link', { name: 'ok' })).toHaveAttribute(
			'href',
			'https://example.com/ok'
		);
		await expect(message).toContainText('[click me](javascript:window.__pwned=3)');
		expect(await bobPage.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
	});

	test(`a huge code block scrolls inside its bubble (${width} px)`, async ({ newUser }) => {
		const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Code');
		const alicePage = await alice.openRoom(roomId);
		const bobPage = await bob.openRoom(roomId);
		await bobPage.setViewportSize({ width, height: 800 });

		const lines = Array.from({ length: 150 }, (_, i) => `line ${i} ${'x'.repeat(10)}`);
		const wide = `const wide = "${'w'.repeat(400)}";`;
		await sendMessage(alicePage, ['```js', wide, ...lines, '```'].join('\n'));

		const code = messageItem(bobPage, name, 'line 149').locator('pre');
		await expect(code).toBeVisible();
		await expect(code).toContainText('line 0 ');
		const box = await code.boundingBox();
		expect(box).not.toBeNull();
		expect(box?.height ?? Infinity).toBeLessThanOrEqual(0.6 * 800);
		// The code scrolls sideways inside the bubble; it does not push past the screen's edge.
		expect((box?.x ?? Infinity) + (box?.width ?? Infinity)).toBeLessThanOrEqual(width);
		expect(await code.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
	});
}
