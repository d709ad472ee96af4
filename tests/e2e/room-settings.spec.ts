/**
 * Room settings (issue 16 item 7): the owner renames a room, sets its topic and archives it from
 * the members page; other members see it live (room header and sidebar, through the summary
 * channel) on a wide screen and a phone; an archived room is read-only and listed apart.
 * Also "@room": offered by the autocomplete and counted as a mention for every member.
 */
import type { Page } from '@playwright/test';
import {
	createRoom,
	expect,
	holdHydration,
	roomName,
	sharedRoom,
	submitMessage,
	test
} from './fixtures';

const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1280, height: 800 };

function sidebarOf(page: Page) {
	return page.getByRole('complementary', { name: 'Conversations' });
}

test('the owner renames a room and sets its topic: members see both live, wide and on a phone', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const before = roomName('Trip');
	const roomId = await sharedRoom(alice, bob, before);
	const after = roomName('Summer trip');

	const bobWide = await bob.openRoom(roomId);
	await bobWide.setViewportSize(WIDE);
	const bobPhone = await bob.openRoom(roomId);
	await bobPhone.setViewportSize(PHONE);
	await expect(bobWide.getByRole('heading', { level: 1 })).toHaveText(before);
	await expect(sidebarOf(bobWide).getByRole('link', { name: before, exact: true })).toBeVisible();

	const owner = await alice.context.newPage();
	await owner.setViewportSize(WIDE);
	await owner.goto(`/rooms/${roomId}/members`);
	const settings = owner.getByRole('region', { name: 'Room settings' });
	await settings.getByLabel('Room name').fill(after);
	await settings.getByLabel('Topic').fill('Where we go in July');
	await settings.getByRole('button', { name: 'Save settings' }).click();
	await expect(settings.getByRole('status')).toHaveText('Saved.');

	for (const page of [bobWide, bobPhone]) {
		await expect(page.getByRole('heading', { level: 1 })).toHaveText(after);
		await expect(page.getByText('Where we go in July')).toBeVisible();
		await expect(page.getByRole('log', { name: after })).toBeVisible();
	}
	await expect(sidebarOf(bobWide).getByRole('link', { name: after, exact: true })).toBeVisible();
	await expect(sidebarOf(bobWide).getByRole('link', { name: before, exact: true })).toHaveCount(0);
	await expect(bobWide).toHaveTitle(`${after} · Parley`);

	// A member has no settings to change.
	const bobMembers = await bob.context.newPage();
	await bobMembers.goto(`/rooms/${roomId}/members`);
	await expect(bobMembers.getByRole('heading', { name: /^Members of / })).toBeVisible();
	await expect(bobMembers.getByRole('region', { name: 'Room settings' })).toHaveCount(0);
});

test('what the owner types before the page is interactive is kept and saved', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const before = roomName('Early');
	const roomId = await createRoom(alice.context, before);
	const typed = roomName('Typed early');
	const page = await alice.context.newPage();
	// The app's scripts wait until the owner has typed into the server-rendered form.
	const held = await holdHydration(page);
	await page.goto(`/rooms/${roomId}/members`, { waitUntil: 'domcontentloaded' });
	const settings = page.getByRole('region', { name: 'Room settings' });
	const nameField = settings.getByLabel('Room name');
	await expect(nameField).toHaveValue(before);
	await nameField.fill(typed);
	await held.hydrate();
	await expect(nameField).toHaveValue(typed);
	await settings.getByRole('button', { name: 'Save settings' }).click();
	await expect(settings.getByRole('status')).toHaveText('Saved.');
	await expect(nameField).toHaveValue(typed);
	await page.goto(`/rooms/${roomId}`);
	await expect(page.getByRole('heading', { level: 1 })).toHaveText(typed);
});

test('an archived room is read-only, says why, and is listed apart until it is reopened', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName('Old project');
	const roomId = await sharedRoom(alice, bob, name);
	const other = roomName('Current');
	await sharedRoom(alice, bob, other);

	const bobPage = await bob.openRoom(roomId);
	await bobPage.setViewportSize(WIDE);
	await submitMessage(bobPage, 'Last words before the archive');
	await expect(bobPage.getByRole('log', { name })).toContainText('Last words');

	const owner = await alice.context.newPage();
	await owner.goto(`/rooms/${roomId}/members`);
	await owner.getByRole('button', { name: 'Archive room' }).click();
	await expect(owner.getByRole('button', { name: 'Reopen room' })).toBeVisible();

	// Live: the composer goes, the reason shows, the history stays.
	await expect(bobPage.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
	await expect(bobPage.getByRole('status').filter({ hasText: 'archived' })).toHaveText(
		'This room is archived: you can read it, but nobody can send messages.'
	);
	await expect(bobPage.getByRole('log', { name })).toContainText('Last words');
	const sidebar = sidebarOf(bobPage);
	const archivedList = sidebar.getByRole('list', { name: 'Archived' });
	await expect(archivedList.getByRole('link', { name, exact: true })).toBeVisible();
	await expect(archivedList.getByRole('link', { name: other, exact: true })).toHaveCount(0);

	// On a phone, the home screen lists it apart as well.
	const phone = await bob.context.newPage();
	await phone.setViewportSize(PHONE);
	await phone.goto('/');
	const home = phone.getByRole('main');
	await expect(
		home.getByRole('list', { name: 'Archived' }).getByRole('link', { name, exact: true })
	).toBeVisible();
	await phone.goto(`/rooms/${roomId}`);
	await expect(phone.getByText('This room is archived')).toBeVisible();
	await expect(phone.getByRole('textbox', { name: 'Message' })).toHaveCount(0);

	await owner.getByRole('button', { name: 'Reopen room' }).click();
	await expect(bobPage.getByRole('textbox', { name: 'Message' })).toBeVisible();
	await expect(sidebar.getByRole('list', { name: 'Archived' })).toHaveCount(0);
	await submitMessage(bobPage, 'We are back');
	await expect(
		bobPage.getByRole('log', { name }).getByRole('listitem').filter({ hasText: 'We are back' })
	).toContainText(/Sent|Delivered|Read/);
});

test('@room is offered after the members and counts as a mention for every member', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName('Standup');
	const roomId = await sharedRoom(alice, bob, name);
	const elsewhere = roomName('Elsewhere');
	const elsewhereId = await sharedRoom(alice, bob, elsewhere);

	const bobPage = await bob.openRoom(elsewhereId);
	await bobPage.setViewportSize(WIDE);
	const alicePage = await alice.openRoom(roomId);
	await alicePage.setViewportSize(PHONE);

	const box = alicePage.getByRole('textbox', { name: 'Message' });
	await box.pressSequentially('Standup now @ro');
	const suggestions = alicePage.getByRole('listbox', { name: 'Mention a member' });
	const option = suggestions.getByRole('option', { name: '@room — everyone in the room' });
	await expect(option).toBeVisible();
	await box.press('Enter');
	await expect(box).toHaveValue('Standup now @room ');
	await box.press('Enter');
	await expect(box).toHaveValue('');

	const entry = sidebarOf(bobPage)
		.getByRole('listitem')
		.filter({ has: bobPage.getByRole('link', { name, exact: true }) });
	await expect(entry).toContainText('1 unread');
	await expect(entry).toContainText('1 mention');
	await bobPage.goto(`/rooms/${roomId}`);
	const mention = bobPage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Standup now' })
		.locator('strong.mention');
	await expect(mention).toHaveText('@room');
	await expect(mention).toHaveClass(/self/);
});
