import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { addMember, createRoom, expect, roomName, submitMessage, test } from './fixtures';

interface CreatedInvite {
	id: string;
	url: string;
}

test('the owner creates an invite link on the members page; a visitor joins and posts', async ({
	newUser
}) => {
	const owner = await newUser('owner');
	const guest = await newUser('guest');
	const name = roomName('Invited');
	const roomId = await createRoom(owner.context, name, 'private');

	const membersPage = await owner.context.newPage();
	await membersPage.goto(`/rooms/${roomId}/members`);
	await membersPage.getByRole('button', { name: 'Create invite link' }).click();
	const field = membersPage.getByLabel('Invite link');
	await expect(field).toHaveValue(/\/invite\/[a-z2-7]{24}$/);
	await expect(field).toHaveAttribute('readonly');
	const url = await field.inputValue();
	await expect(membersPage.getByRole('button', { name: /^Revoke the link expiring/ })).toHaveCount(
		1
	);

	const guestPage = await guest.context.newPage();
	await guestPage.goto(url);
	await expect(
		guestPage.getByRole('heading', { name: `You are invited to ${name}` })
	).toBeVisible();
	await guestPage.getByRole('button', { name: `Join ${name}` }).click();
	await expect(guestPage).toHaveURL(new RegExp(`/rooms/${roomId}$`));
	await expect(guestPage.getByRole('status')).toHaveText('Online');
	await submitMessage(guestPage, 'Thanks for the invite!');

	const ownerRoom = await owner.openRoom(roomId);
	const received = ownerRoom
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Thanks for the invite!' });
	await expect(received).toHaveCount(1);
	await expect(received).toContainText(guest.username);
});

test('a member who is not the owner gets no invite button and a 403 from the API', async ({
	newUser
}) => {
	const owner = await newUser('owner');
	const member = await newUser('member');
	const roomId = await createRoom(owner.context, roomName('Closed'), 'private');
	await addMember(owner.context, roomId, member.username);

	const page = await member.context.newPage();
	await page.goto(`/rooms/${roomId}/members`);
	await expect(page.getByRole('button', { name: 'Leave room' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Create invite link' })).toHaveCount(0);
	const response = await member.context.request.post(`/api/rooms/${roomId}/invites`, {
		data: {}
	});
	expect(response.status()).toBe(403);
});

test('a revoked or expired invite link shows why and does not join', async ({
	newUser,
	server
}) => {
	const owner = await newUser('owner');
	const guest = await newUser('guest');
	const name = roomName('Gone');
	const roomId = await createRoom(owner.context, name, 'private');
	const create = async (): Promise<CreatedInvite> => {
		const response = await owner.context.request.post(`/api/rooms/${roomId}/invites`, {
			data: {}
		});
		expect(response.status()).toBe(201);
		return (await response.json()) as CreatedInvite;
	};

	const revoked = await create();
	const revoke = await owner.context.request.delete(`/api/rooms/${roomId}/invites/${revoked.id}`);
	expect(revoke.status()).toBe(204);

	const expired = await create();
	// Time passing, made real: the invite's expiry moves into the past in the server's database.
	const db = openDatabase(databaseFile(server.dataDir));
	try {
		db.prepare('UPDATE invites SET expires_at = ? WHERE id = ?').run(Date.now() - 1, expired.id);
	} finally {
		db.close();
	}

	const page = await guest.context.newPage();
	for (const [invite, reason] of [
		[revoked, 'This invite link has been revoked.'],
		[expired, 'This invite link has expired.']
	] as const) {
		const response = await page.goto(invite.url);
		expect(response?.status()).toBe(410);
		await expect(
			page.getByRole('heading', { name: 'This invite link no longer works' })
		).toBeVisible();
		await expect(page.getByRole('alert')).toHaveText(reason);
		await expect(page.getByRole('button', { name: /^Join/ })).toHaveCount(0);
	}

	const members = await owner.context.request.get(`/api/rooms/${roomId}/members`);
	const body = (await members.json()) as { members: { id: string }[] };
	expect(body.members.map((entry) => entry.id)).not.toContain(guest.id);
	const asGuest = await guest.context.request.get(`/api/rooms/${roomId}/members`);
	expect(asGuest.status()).toBe(403);
});

test('the owner sees a removed member under Banned and unbans them, who can then join again', async ({
	newUser
}) => {
	const owner = await newUser('owner');
	const member = await newUser('member');
	const roomId = await createRoom(owner.context, roomName('Lobby'), 'public');
	expect((await member.context.request.post(`/api/rooms/${roomId}/join`)).status()).toBe(200);

	const page = await owner.context.newPage();
	await page.goto(`/rooms/${roomId}/members`);
	await page.getByRole('button', { name: `Remove ${member.username}` }).click();
	const banned = page.getByRole('region', { name: 'Banned' });
	await expect(banned.getByRole('listitem')).toContainText(member.username);
	expect((await member.context.request.post(`/api/rooms/${roomId}/join`)).status()).toBe(403);

	await banned.getByRole('button', { name: `Unban ${member.username}` }).click();
	await expect(page.getByRole('region', { name: 'Banned' })).toHaveCount(0);
	expect((await member.context.request.post(`/api/rooms/${roomId}/join`)).status()).toBe(200);
});
