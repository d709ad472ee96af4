/**
 * Removal by the owner is a ban: the removed user cannot join the public room again until an
 * invite, the owner adding them, or an explicit unban lets them back. Leaving is not a ban.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredClient, type RegisteredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;
let owner: RegisteredClient;

beforeAll(async () => {
	server = await startServer();
	owner = await registeredClient(server.url);
});

afterAll(async () => {
	await server?.dispose();
});

/** A public room of the owner that `member` joined and was then removed from. */
async function roomWithRemoved(member: RegisteredClient): Promise<string> {
	const room = await owner.post<{ id: string }>('/api/rooms', {
		name: 'Lobby',
		visibility: 'public'
	});
	expect(room.status).toBe(201);
	expect((await member.post(`/api/rooms/${room.body.id}/join`)).status).toBe(200);
	const removed = await owner.delete(`/api/rooms/${room.body.id}/members/${member.userId}`);
	expect(removed.status).toBe(204);
	return room.body.id;
}

async function isMember(roomId: string, user: RegisteredClient): Promise<boolean> {
	const members = await owner.get<{ members: { id: string }[] }>(`/api/rooms/${roomId}/members`);
	expect(members.status).toBe(200);
	return members.body.members.some((entry) => entry.id === user.userId);
}

describe('room bans', () => {
	it('refuses a member removed by the owner who tries to join the public room again (403)', async () => {
		const member = await registeredClient(server.url);
		const roomId = await roomWithRemoved(member);
		const join = await member.post(`/api/rooms/${roomId}/join`);
		expect(join).toMatchObject({ status: 403, body: { error: expect.any(String) } });
		expect(await isMember(roomId, member)).toBe(false);
	});

	it('lists the ban to the owner only, and an unban lets the user join again', async () => {
		const member = await registeredClient(server.url);
		const roomId = await roomWithRemoved(member);
		const bans = await owner.get(`/api/rooms/${roomId}/bans`);
		expect(bans).toMatchObject({
			status: 200,
			body: { bans: [{ id: member.userId, username: member.username }] }
		});
		const other = await registeredClient(server.url);
		expect((await other.post(`/api/rooms/${roomId}/join`)).status).toBe(200);
		expect((await other.get(`/api/rooms/${roomId}/bans`)).status).toBe(403);
		expect((await other.delete(`/api/rooms/${roomId}/bans/${member.userId}`)).status).toBe(403);

		expect((await owner.delete(`/api/rooms/${roomId}/bans/${member.userId}`)).status).toBe(204);
		expect((await owner.delete(`/api/rooms/${roomId}/bans/${member.userId}`)).status).toBe(404);
		expect((await member.post(`/api/rooms/${roomId}/join`)).status).toBe(200);
		expect(await isMember(roomId, member)).toBe(true);
	});

	it('lets a removed member back through an invite link', async () => {
		const member = await registeredClient(server.url);
		const roomId = await roomWithRemoved(member);
		const invite = await owner.post<{ token: string }>(`/api/rooms/${roomId}/invites`, {});
		expect(invite.status).toBe(201);
		expect((await member.post(`/api/invites/${invite.body.token}/accept`)).status).toBe(200);
		expect(await isMember(roomId, member)).toBe(true);
		expect((await owner.get<{ bans: unknown[] }>(`/api/rooms/${roomId}/bans`)).body.bans).toEqual(
			[]
		);
	});

	it('lets a removed member back when the owner adds them by username', async () => {
		const member = await registeredClient(server.url);
		const roomId = await roomWithRemoved(member);
		const added = await owner.post(`/api/rooms/${roomId}/members`, { username: member.username });
		expect(added.status).toBe(201);
		expect(await isMember(roomId, member)).toBe(true);
	});

	it('lets a member who left on their own join again', async () => {
		const member = await registeredClient(server.url);
		const room = await owner.post<{ id: string }>('/api/rooms', {
			name: 'Open',
			visibility: 'public'
		});
		expect((await member.post(`/api/rooms/${room.body.id}/join`)).status).toBe(200);
		expect(
			(await member.delete(`/api/rooms/${room.body.id}/members/${member.userId}`)).status
		).toBe(204);
		expect((await member.post(`/api/rooms/${room.body.id}/join`)).status).toBe(200);
		expect(await isMember(room.body.id, member)).toBe(true);
	});
});
