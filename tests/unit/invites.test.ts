import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/storage/sqlite/db';
import { openDm } from '../../src/lib/server/dms';
import {
	acceptInvite,
	checkInvite,
	createInvite,
	hashInviteToken,
	listActiveInvites,
	revokeInvite,
	type InviteOptions
} from '../../src/lib/server/invites';
import { addMember } from '../../src/lib/server/memberships';
import { createRoom, type Room } from '../../src/lib/server/rooms';
import { openTempDatabase, type TempDatabase } from '../support/temp-db';
import type { SqliteStorage } from '../../src/lib/server/storage/sqlite';

const HOUR_MS = 60 * 60 * 1000;
const T0 = 1_800_000_000_000;

let temp: TempDatabase;
let db: Db;
let storage: SqliteStorage;
let room: Room;

beforeEach(async () => {
	temp = openTempDatabase('parley-invites-', ['owner', 'member', 'bob', 'carol', 'dave']);
	db = temp.db;
	storage = temp.storage;
	room = await createRoom(storage.rooms, 'owner', 'Secret', 'private', T0);
	await addMember(storage, room.id, 'owner', 'member', T0);
});

afterEach(() => {
	temp.dispose();
});

async function invite(options: InviteOptions = { expiresInHours: 72 }, now = T0) {
	const result = await createInvite(storage.rooms, room.id, 'owner', options, now);
	if (!result.ok) throw new Error(`createInvite failed: ${result.reason}`);
	return result.value;
}

describe('creating invites', () => {
	it('gives the owner a 120-bit token and stores only its SHA-256', async () => {
		const { token, invite: created } = await invite({ expiresInHours: 2 });
		expect(token).toMatch(/^[a-z2-7]{24}$/);
		expect(created.expiresAt).toBe(T0 + 2 * HOUR_MS);
		const row = db.prepare('SELECT * FROM invites WHERE id = ?').get(created.id) as Record<
			string,
			unknown
		>;
		expect(Buffer.from(row.token_hash as Uint8Array)).toEqual(Buffer.from(hashInviteToken(token)));
		expect(JSON.stringify(Object.values(row))).not.toContain(token);
		expect((await invite()).token).not.toBe(token);
	});

	it('refuses members who are not the owner, strangers, unknown rooms and dms', async () => {
		const options = { expiresInHours: 1 };
		expect(await createInvite(storage.rooms, room.id, 'member', options)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(await createInvite(storage.rooms, room.id, 'bob', options)).toEqual({
			ok: false,
			reason: 'not-a-member'
		});
		expect(await createInvite(storage.rooms, 'nope', 'owner', options)).toEqual({
			ok: false,
			reason: 'room-not-found'
		});
		const dm = await openDm(storage, { id: 'owner', username: 'owner' }, 'bob');
		if (!dm.ok) throw new Error('no dm');
		expect(await createInvite(storage.rooms, dm.room.id, 'owner', options)).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		expect(db.prepare('SELECT COUNT(*) AS n FROM invites').get()).toEqual({ n: 0 });
	});
});

describe('accepting invites', () => {
	it('adds the visitor as a member and counts the use', async () => {
		const { token } = await invite();
		expect(await acceptInvite(storage.rooms, token, 'bob', T0 + 1)).toEqual({
			ok: true,
			value: { room, joined: true }
		});
		expect(await storage.rooms.membership(room.id, 'bob')).toBe('member');
		const active = await listActiveInvites(storage.rooms, room.id, 'owner', T0 + 1);
		expect(active.ok && active.value.map((i) => i.uses)).toEqual([1]);
	});

	it('lets a member through again without using the invite up', async () => {
		const { token } = await invite({ expiresInHours: 1, maxUses: 1 });
		expect(await acceptInvite(storage.rooms, token, 'member', T0)).toMatchObject({
			ok: true,
			value: { joined: false }
		});
		expect(await acceptInvite(storage.rooms, token, 'bob', T0)).toMatchObject({
			ok: true,
			value: { joined: true }
		});
	});

	it('stops admitting people when the invite expires, by the injected clock', async () => {
		const { token } = await invite({ expiresInHours: 1 });
		const expiry = T0 + HOUR_MS;
		expect((await checkInvite(storage.rooms, token, expiry - 1)).ok).toBe(true);
		expect(await acceptInvite(storage.rooms, token, 'bob', expiry)).toEqual({
			ok: false,
			reason: 'invite-expired'
		});
		expect(await storage.rooms.membership(room.id, 'bob')).toBeNull();
		expect(await listActiveInvites(storage.rooms, room.id, 'owner', expiry)).toEqual({
			ok: true,
			value: []
		});
	});

	it('admits at most maxUses people', async () => {
		const { token } = await invite({ expiresInHours: 1, maxUses: 2 });
		expect((await acceptInvite(storage.rooms, token, 'bob', T0)).ok).toBe(true);
		expect((await acceptInvite(storage.rooms, token, 'carol', T0)).ok).toBe(true);
		expect(await acceptInvite(storage.rooms, token, 'dave', T0)).toEqual({
			ok: false,
			reason: 'invite-used-up'
		});
		expect(await storage.rooms.membership(room.id, 'dave')).toBeNull();
	});

	it('stops admitting people once revoked, and only the owner revokes', async () => {
		const { token, invite: created } = await invite();
		expect(await revokeInvite(storage.rooms, room.id, 'member', created.id, T0)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect((await checkInvite(storage.rooms, token, T0)).ok).toBe(true);
		expect(await revokeInvite(storage.rooms, room.id, 'owner', created.id, T0)).toEqual({
			ok: true,
			value: null
		});
		expect((await revokeInvite(storage.rooms, room.id, 'owner', created.id, T0)).ok).toBe(true);
		expect(await acceptInvite(storage.rooms, token, 'bob', T0)).toEqual({
			ok: false,
			reason: 'invite-revoked'
		});
		expect(await storage.rooms.membership(room.id, 'bob')).toBeNull();
		expect(await revokeInvite(storage.rooms, room.id, 'owner', 'unknown', T0)).toEqual({
			ok: false,
			reason: 'invite-not-found'
		});
	});

	it('reports an unknown or absurd token as not found', async () => {
		await invite();
		expect(await acceptInvite(storage.rooms, 'a'.repeat(24), 'bob', T0)).toEqual({
			ok: false,
			reason: 'invite-not-found'
		});
		expect(await checkInvite(storage.rooms, 'x'.repeat(10_000), T0)).toEqual({
			ok: false,
			reason: 'invite-not-found'
		});
	});

	it('lists only the active invites to the owner, newest first', async () => {
		const old = await invite({ expiresInHours: 1 }, T0);
		const fresh = await invite({ expiresInHours: 1 }, T0 + 10);
		const revoked = await invite({ expiresInHours: 1 }, T0 + 20);
		await revokeInvite(storage.rooms, room.id, 'owner', revoked.invite.id, T0 + 30);
		const listed = await listActiveInvites(storage.rooms, room.id, 'owner', T0 + 40);
		expect(listed.ok && listed.value.map((i) => i.id)).toEqual([fresh.invite.id, old.invite.id]);
		expect(await listActiveInvites(storage.rooms, room.id, 'member', T0)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
	});
});
