/**
 * Display names and generated avatars (issue 16 item 7): a user sets a display name on
 * /settings/profile (on a phone); another member sees it on their next room open (1280 px) as
 * the author of messages, in the member list and in the mention suggestions, where the username
 * stays the handle that "@" inserts; in the sidebar (the last message's author, their DM's
 * title), the DM's header and tab title, and search results.
 */
import { expect, roomOfTwo, submitMessage, test } from './fixtures';

const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1280, height: 800 };

test('a display name set on the profile page shows as author, in the member list and in mentions', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Names');
	const shown = 'Bob Ross';
	// They share a room, so the DM is open at once; it is named after usernames when created.
	const dm = await bob.context.request.post('/api/dms', { data: { username: alice.username } });
	expect(dm.status()).toBe(201);

	const bobPage = await bob.context.newPage();
	await bobPage.setViewportSize(PHONE);
	await bobPage.goto('/settings');
	await bobPage.getByRole('link', { name: 'Profile' }).click();
	await expect(bobPage.getByRole('heading', { name: 'Profile' })).toBeVisible();
	await expect(bobPage.getByText(`@${bob.username}`, { exact: true })).toBeVisible();
	await bobPage.getByLabel('Display name').fill(`x\u202e${shown}`);
	await bobPage.getByRole('button', { name: 'Save profile' }).click();
	await expect(bobPage.getByRole('alert')).toContainText('invisible formatting');
	await bobPage.getByLabel('Display name').fill(`  ${shown} `);
	await bobPage.getByRole('button', { name: 'Save profile' }).click();
	await expect(bobPage.getByRole('status')).toHaveText('Saved.');
	await expect(bobPage.locator('.preview')).toContainText(shown);
	await expect(bobPage.locator('.preview .avatar')).toHaveText('BR');

	const bobRoom = await bob.openRoom(roomId);
	await submitMessage(bobRoom, 'Happy little trees');
	// Indexed (after its commit): search names the author by display name, as the summaries do.
	await expect
		.poll(async () => {
			const found = await alice.context.request.get('/api/search?q=little');
			const body = (await found.json()) as { results: { authorName: string | null }[] };
			return body.results.map((result) => result.authorName);
		})
		.toEqual([shown]);

	const alicePage = await alice.openRoom(roomId);
	await alicePage.setViewportSize(WIDE);
	const message = alicePage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Happy little trees' });
	await expect(message).toContainText(shown);

	const box = alicePage.getByRole('textbox', { name: 'Message' });
	await box.pressSequentially(`@${bob.username.slice(0, 4)}`);
	const option = alicePage
		.getByRole('listbox', { name: 'Mention a member' })
		.getByRole('option', { name: `@${bob.username} — ${shown}` });
	await expect(option).toBeVisible();
	await box.press('Enter');
	await expect(box).toHaveValue(`@${bob.username} `);

	// The sidebar: the room's last message by "Bob Ross", and the DM titled after him.
	const sidebar = alicePage.getByRole('complementary', { name: 'Conversations' });
	const roomEntry = sidebar
		.getByRole('listitem')
		.filter({ has: alicePage.getByRole('link', { name, exact: true }) });
	await expect(roomEntry.locator('.author')).toHaveText(`${shown}:`);
	const dmLink = sidebar.getByRole('link', { name: `Direct message with ${shown}`, exact: true });
	// The filter still finds the DM by his username (the handle), and only the DM.
	await sidebar.getByRole('searchbox', { name: 'Filter conversations' }).fill(bob.username);
	await expect(roomEntry).toHaveCount(0);
	await dmLink.click();
	await expect(alicePage.locator('.room-header')).toContainText(`Direct message with ${shown}`);
	await expect(alicePage).toHaveTitle(`${shown} · Parley`);

	await alicePage.goto('/search?q=trees');
	const result = alicePage.getByRole('list', { name: 'Results' }).getByRole('listitem');
	await expect(result.locator('.result-author')).toHaveText(shown);

	await alicePage.goto(`/rooms/${roomId}/members`);
	const entry = alicePage.getByRole('listitem').filter({ hasText: `@${bob.username}` });
	await expect(entry).toContainText(shown);
});
