/**
 * Keyboard only: from the home page into a room, a sensible Tab order on the room page,
 * Enter to send, and replying and reacting through a message's actions, without the mouse.
 */
import type { Page } from '@playwright/test';
import { addMember, createRoom, expect, test } from './fixtures';

/** What the focused element is, as a user would name it. */
function focused(page: Page): Promise<string> {
	return page.evaluate(() => {
		const element = document.activeElement as HTMLElement | null;
		if (!element || element === document.body) return '';
		const label =
			element.getAttribute('aria-label') ??
			(element.getAttribute('aria-labelledby') ? '' : null) ??
			element.textContent ??
			'';
		return `${element.tagName.toLowerCase()}:${label.trim().replace(/\s+/g, ' ')}`;
	});
}

/** Presses `key` until the focus is on `target` (at most `limit` times); the names on the way. */
async function tabTo(page: Page, target: string, key = 'Tab', limit = 60): Promise<string[]> {
	const seen: string[] = [];
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press(key);
		const name = await focused(page);
		seen.push(name);
		if (name === target) return seen;
	}
	throw new Error(`"${target}" not reached with ${key}; focus went through: ${seen.join(' | ')}`);
}

test('a room is opened from the home page and a message sent with the keyboard alone', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const name = `Keys ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(alice.context, name);
	const page = await alice.context.newPage();
	await page.goto('/');
	await expect(page.getByRole('link', { name })).toBeVisible();

	await tabTo(page, `a:${name}`);
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(new RegExp(`/rooms/${roomId}$`));
	await expect(page.getByRole('status')).toHaveText('Online');

	// From the top of the page: the header's links come before the composer, the attach button
	// right before the message box.
	await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
	const order = await tabTo(page, 'textarea:Message');
	const back = order.indexOf('a:All rooms');
	const members = order.indexOf('a:Members');
	expect(back).toBeGreaterThanOrEqual(0);
	expect(members).toBeGreaterThan(back);
	expect(order.at(-2)).toBe('button:Attach files');

	await page.keyboard.type('Sent without a mouse');
	await page.keyboard.press('Enter');
	const log = page.getByRole('log', { name });
	await expect(log.getByRole('listitem').filter({ hasText: 'Sent without a mouse' })).toHaveCount(
		1
	);
	// The box is empty and keeps the focus for the next message.
	await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
	await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue('');
	// With a draft, "Insert emoji" and Send follow the box.
	await page.keyboard.type('draft');
	await page.keyboard.press('Tab');
	await expect(page.getByRole('button', { name: 'Insert emoji' })).toBeFocused();
	await page.keyboard.press('Tab');
	await expect(page.getByRole('button', { name: 'Send' })).toBeFocused();

	// Back to the room list by keyboard.
	await tabTo(page, 'a:All rooms', 'Shift+Tab');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/$/);
});

test('the first Tab on a page focuses the skip link, and Enter moves the focus to the content', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const page = await alice.context.newPage();
	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
	const skip = page.getByRole('link', { name: 'Skip to content' });
	await expect(skip).not.toBeInViewport();

	await page.keyboard.press('Tab');
	await expect(skip).toBeFocused();
	await expect(skip).toBeInViewport();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('main')).toBeFocused();
	await expect(skip).not.toBeInViewport();
	// The next Tab goes into the content, past the header's links.
	await page.keyboard.press('Tab');
	expect(
		await page.evaluate(() => document.querySelector('main')?.contains(document.activeElement))
	).toBe(true);
});

test('a message is answered and reacted to through its actions with the keyboard', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = `Keys ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(alice.context, name);
	await addMember(alice.context, roomId, bob.username);
	const alicePage = await alice.openRoom(roomId);
	await alicePage.getByRole('textbox', { name: 'Message' }).fill('Lunch at noon?');
	await alicePage.getByRole('textbox', { name: 'Message' }).press('Enter');

	const page = await bob.openRoom(roomId);
	const log = page.getByRole('log', { name });
	const question = log
		.getByRole('listitem')
		.filter({ hasText: 'Lunch at noon?', hasNotText: 'In reply to' });
	await expect(question).toHaveCount(1);
	await page.getByRole('textbox', { name: 'Message' }).focus();

	// Backwards from the composer, the last message's actions come first.
	await tabTo(page, 'button:Reply', 'Shift+Tab');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('group', { name: `Replying to ${alice.username}` })).toBeVisible();
	await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
	await page.keyboard.type('Yes, see you there');
	await page.keyboard.press('Enter');
	const answer = log.getByRole('listitem').filter({ hasText: 'Yes, see you there' });
	await expect(answer).toContainText('In reply to');
	await expect(answer).toContainText('Lunch at noon?');

	// React to the question: its "Add reaction" button, then the picker's arrow keys and Enter.
	// Backwards from the composer: the answer's "Add reaction", then the question's.
	await tabTo(page, 'button:Add reaction', 'Shift+Tab');
	await tabTo(page, 'button:Add reaction', 'Shift+Tab');
	await expect(question.getByRole('button', { name: 'Add reaction' })).toBeFocused();
	await page.keyboard.press('Enter');
	const picker = page.getByRole('dialog', { name: 'Choose a reaction' });
	await expect(picker).toBeVisible();
	await page.keyboard.press('ArrowRight');
	const chosen = (await focused(page)).replace(/^button:/, '');
	await page.keyboard.press('Enter');
	await expect(picker).toBeHidden();
	await expect(question.getByRole('button', { name: 'Add reaction' })).toBeFocused();
	const emoji = chosen.split(' ')[0] ?? '';
	expect(emoji).not.toBe('');
	const chip = question.getByRole('group', { name: 'Reactions' }).getByRole('button');
	await expect(chip).toHaveCount(1);
	await expect(chip).toHaveAccessibleName(new RegExp(`^${emoji}`));
	await expect(
		alicePage
			.getByRole('log', { name })
			.getByRole('listitem')
			.filter({ hasText: 'Lunch at noon?', hasNotText: 'In reply to' })
			.getByRole('group', { name: 'Reactions' })
	).toContainText('1');
});
