/**
 * Issue 16, item 3: on a narrow screen the message actions are not a permanent bar in every
 * bubble; a "…" button ("Message menu") opens them in place. Wide screens keep the hover bar.
 */
import { expect, roomOfTwo, test } from './fixtures';
import { messageItem, sendMessage } from './features-support';

test('at 390 px the actions hide behind a message menu that opens in place', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Menu');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await bobPage.setViewportSize({ width: 390, height: 844 });

	await sendMessage(alicePage, 'A short line');
	const item = messageItem(bobPage, name, 'A short line');
	const reply = item.getByRole('button', { name: 'Reply' });
	const menu = item.getByRole('button', { name: 'Message menu' });
	await expect(menu).toBeVisible();
	await expect(reply).toBeHidden();
	// One line of text and its header: no toolbar doubling the bubble's height.
	expect((await item.boundingBox())?.height ?? Infinity).toBeLessThan(80);

	await menu.click();
	await expect(menu).toHaveAttribute('aria-expanded', 'true');
	await expect(reply).toBeVisible();
	await reply.click();
	await expect(bobPage.getByRole('group', { name: `Replying to ${alice.username}` })).toBeVisible();
	await expect(reply).toBeHidden();
	await expect(menu).toHaveAttribute('aria-expanded', 'false');
});

test('at 1280 px there is no message menu and the actions show on hover', async ({ newUser }) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Wide');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await bobPage.setViewportSize({ width: 1280, height: 800 });

	await sendMessage(alicePage, 'A wide line');
	const item = messageItem(bobPage, name, 'A wide line');
	await expect(item.getByRole('button', { name: 'Message menu' })).toBeHidden();
	await item.hover();
	await expect(item.getByRole('group', { name: 'Message actions' })).toHaveCSS('opacity', '1');
	await expect(item.getByRole('button', { name: 'Reply' })).toBeVisible();
});
