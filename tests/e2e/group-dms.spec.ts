/**
 * Group DMs (docs/design.md "Direct messages"): three real browsers. The creator starts a group
 * DM from /dms; the two others see it arrive in their list live (summary channel), everyone
 * writes and reads everyone's messages in the encrypted room, and nobody can be added, invited,
 * join or leave. At 1280 px (the sidebar) and 390 px (the home list is the phone's list).
 */
import type { Page } from '@playwright/test';
import {
	addMember,
	createRoom,
	expect,
	roomName,
	submitMessage,
	test,
	type ChatUser
} from './fixtures';

const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());

/** "bob" / "bob and carol", as the client names a DM after the others. */
function othersTitle(everyone: readonly ChatUser[], self: ChatUser): string {
	const others = everyone
		.filter((user) => user !== self)
		.map((user) => user.username)
		.sort(byName);
	return others.length === 1
		? (others[0] ?? '')
		: `${others.slice(0, -1).join(', ')} and ${others[others.length - 1]}`;
}

function messageOf(page: Page, name: string, text: string) {
	return page.getByRole('log', { name }).getByRole('listitem').filter({ hasText: text });
}

for (const viewport of [
	{ width: 1280, height: 800 },
	{ width: 390, height: 844 }
]) {
	const phone = viewport.width < 600;

	test(`at ${viewport.width} px a group DM with three users: started from /dms, seen live, everyone writes and reads`, async ({
		newUser
	}) => {
		// Three browsers in one encrypted room (keys shared with every device): the default 60 s
		// is tight on a shared machine.
		test.slow();
		const alice = await newUser('alice');
		const bob = await newUser('bob');
		const carol = await newUser('carol');
		const dave = await newUser('dave');
		const everyone = [alice, bob, carol];
		// They share a room with alice, so the group starts at once (no request).
		const teamId = await createRoom(alice.context, roomName('Team'));
		await addMember(alice.context, teamId, bob.username);
		await addMember(alice.context, teamId, carol.username);
		const dmName = everyone
			.map((user) => user.username)
			.sort(byName)
			.reduce((name, username, index, all) =>
				index === all.length - 1 ? `${name} & ${username}` : `${name}, ${username}`
			);

		// Bob and Carol wait on their list: the team room with the sidebar, or the phone's home.
		const listOf = (page: Page) =>
			phone ? page.getByRole('main') : page.getByRole('complementary', { name: 'Conversations' });
		const waiting = new Map<ChatUser, Page>();
		for (const user of [bob, carol]) {
			const page = await user.context.newPage();
			await page.setViewportSize(viewport);
			if (phone) {
				await page.goto('/');
				await expect(page.getByRole('heading', { name: 'Your rooms' })).toBeVisible();
			} else {
				await page.goto(`/rooms/${teamId}`);
				await expect(page.getByRole('status')).toHaveText('Online');
			}
			waiting.set(user, page);
		}

		const alicePage = await alice.context.newPage();
		await alicePage.setViewportSize(viewport);
		await alicePage.goto('/dms');
		await alicePage.getByLabel('Usernames').fill(`${bob.username}, ${carol.username}`);
		await alicePage.getByRole('button', { name: 'Start conversation' }).click();
		await expect(alicePage).toHaveURL(/\/rooms\/[a-z0-9]+$/);
		const dmPath = new URL(alicePage.url()).pathname;
		await expect(alicePage.getByRole('heading', { name: dmName })).toBeVisible();
		await expect(
			alicePage.getByText(`Group message with ${othersTitle(everyone, alice)}`)
		).toBeVisible();
		await expect(alicePage.getByTitle('End-to-end encrypted')).toBeVisible();
		await expect(alicePage.getByRole('status')).toHaveText('Online');

		// The others see it arrive without a reload, named after the other two, and open it.
		const pages = new Map<ChatUser, Page>([[alice, alicePage]]);
		for (const user of [bob, carol]) {
			const page = waiting.get(user);
			if (!page) throw new Error('no page');
			const link = listOf(page).getByRole('link', {
				name: `Direct message with ${othersTitle(everyone, user)}`
			});
			await expect(link).toBeVisible();
			await link.click();
			await expect(page).toHaveURL(new RegExp(`${dmPath}$`));
			await expect(page.getByRole('status')).toHaveText('Online');
			await expect(
				page.getByText(`Group message with ${othersTitle(everyone, user)}`)
			).toBeVisible();
			pages.set(user, page);
		}

		// Everyone writes; everyone reads everyone (decrypted with the shared sender keys).
		for (const writer of everyone) {
			const text = `Hello from ${writer.username}`;
			const page = pages.get(writer);
			if (!page) throw new Error('no page');
			await submitMessage(page, text);
			for (const reader of everyone) {
				const readerPage = pages.get(reader);
				if (!readerPage) throw new Error('no page');
				const item = messageOf(readerPage, dmName, text);
				await expect(item, `${reader.username} reads ${writer.username}`).toHaveCount(1, {
					timeout: 20_000
				});
				await expect(item).toContainText(writer.username);
			}
		}

		// The member list shows all three; nobody can be added, invited, join or leave.
		const roomId = dmPath.split('/').pop() ?? '';
		const membersPage = await bob.context.newPage();
		await membersPage.setViewportSize(viewport);
		await membersPage.goto(`/rooms/${roomId}/members`);
		const memberList = membersPage.getByRole('region', { name: /^Members of/ }).getByRole('list');
		await expect(memberList.getByRole('listitem')).toHaveCount(3);
		for (const user of everyone) {
			await expect(memberList.getByRole('link', { name: user.username })).toBeVisible();
		}
		await expect(
			membersPage.getByText('A direct message always has the same members')
		).toBeVisible();
		const refused = [
			await dave.context.request.post(`/api/rooms/${roomId}/join`),
			await alice.context.request.post(`/api/rooms/${roomId}/invites`, { data: {} }),
			await bob.context.request.post(`/api/rooms/${roomId}/members`, {
				data: { username: dave.username }
			}),
			await carol.context.request.delete(`/api/rooms/${roomId}/members/${carol.id}`)
		];
		for (const response of refused) expect(response.status()).toBe(403);
		const members = await alice.context.request.get(`/api/rooms/${roomId}/members`);
		const body = (await members.json()) as { members: { id: string }[] };
		expect(body.members.map((member) => member.id).sort()).toEqual(
			everyone.map((user) => user.id).sort()
		);
	});
}
