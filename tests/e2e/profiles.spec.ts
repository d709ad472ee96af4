/**
 * Display names and avatars (issue 16 item 7): a user sets a display name and uploads a picture
 * on /settings/profile (on a phone); another member sees them on their next room open (1280 px)
 * beside the author of messages, in the member list and in the mention suggestions, where the
 * username stays the handle that "@" inserts; the name also in the sidebar (the last message's
 * author, their DM's title), the DM's header and tab title, and search results. Once the picture
 * is removed, the initials are back.
 */
import type { Locator } from '@playwright/test';
import { makePng } from './attachments-support';
import { expect, roomOfTwo, submitMessage, test } from './fixtures';

const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1280, height: 800 };

/** Waits until `avatar` shows `userId`'s uploaded picture, decoded (not the initials). */
async function expectPicture(avatar: Locator, userId: string): Promise<void> {
	const img = avatar.locator('img');
	await expect(img).toHaveAttribute('src', new RegExp(`^/api/users/${userId}/avatar\\?v=`));
	await expect
		.poll(() => img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0)))
		.toBeGreaterThan(0);
}

test('a display name and a picture set on the profile page show beside messages, in the member list and in mentions', async ({
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
	await expect(bobPage.getByRole('status').filter({ hasText: 'Saved.' })).toHaveText('Saved.');
	await expect(bobPage.locator('.preview')).toContainText(shown);
	await expect(bobPage.locator('.preview .avatar')).toHaveText('BR');

	// A picture: a file that is not the image it claims to be is refused, a real PNG is taken.
	const picture = bobPage.getByRole('region', { name: 'Picture' });
	const pictureStatus = picture.getByRole('status');
	const upload = picture.getByLabel('Upload picture');
	await upload.setInputFiles({
		name: 'fake.png',
		mimeType: 'image/png',
		buffer: Buffer.from('not a picture')
	});
	await expect(pictureStatus).toHaveText('The picture is not image/png.');
	await expect(bobPage.locator('.preview .avatar img')).toHaveCount(0);
	await upload.setInputFiles({
		name: 'me.png',
		mimeType: 'image/png',
		buffer: await makePng(bobPage, 64, 64)
	});
	await expect(pictureStatus).toHaveText('Picture saved.');
	await expectPicture(bobPage.locator('.preview .avatar'), bob.id);

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
	await expectPicture(message.locator('.avatar'), bob.id);

	const box = alicePage.getByRole('textbox', { name: 'Message' });
	await box.pressSequentially(`@${bob.username.slice(0, 4)}`);
	const option = alicePage
		.getByRole('listbox', { name: 'Mention a member' })
		.getByRole('option', { name: `@${bob.username} — ${shown}` });
	await expect(option).toBeVisible();
	await expectPicture(option.locator('.avatar'), bob.id);
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
	await expectPicture(entry.locator('.avatar'), bob.id);
	// A picture that cannot be loaded (offline, not cached: routing bypasses the cache) shows the
	// initials instead.
	await alicePage.route('**/avatar?v=*', (route) => route.abort());
	await alicePage.reload();
	await expect(entry.locator('.avatar')).toHaveText('BR');
	await alicePage.unroute('**/avatar?v=*');

	// Removed: the initials are back, on the profile page and for the other members.
	await picture.getByRole('button', { name: 'Remove picture' }).click();
	await expect(pictureStatus).toHaveText('Picture removed.');
	await expect(bobPage.locator('.preview .avatar')).toHaveText('BR');
	await expect(picture.getByRole('button', { name: 'Remove picture' })).toHaveCount(0);
	await alicePage.reload();
	await expect(entry.locator('.avatar')).toHaveText('BR');
	await expect(entry.locator('.avatar img')).toHaveCount(0);
});

test('a member who changes their name or picture shows with the new ones in a room already open elsewhere', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Live names');
	const bobRoom = await bob.openRoom(roomId);
	await submitMessage(bobRoom, 'Name me anew');
	const alicePage = await alice.openRoom(roomId);
	const message = alicePage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Name me anew' });
	await expect(message).toContainText(bob.username);

	// From his profile page in another tab; alice's room is not reloaded.
	const profile = await bob.context.newPage();
	await profile.goto('/settings/profile');
	await profile.getByLabel('Display name').fill('Robert');
	await profile.getByRole('button', { name: 'Save profile' }).click();
	await expect(profile.getByRole('status').filter({ hasText: 'Saved.' })).toHaveText('Saved.');
	await expect(message.locator('.avatar')).toHaveText('R');
	await expect(message).toContainText('Robert');

	await profile
		.getByRole('region', { name: 'Picture' })
		.getByLabel('Upload picture')
		.setInputFiles({
			name: 'me.png',
			mimeType: 'image/png',
			buffer: await makePng(profile, 32, 32)
		});
	await expectPicture(message.locator('.avatar'), bob.id);
});
