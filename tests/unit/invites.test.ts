import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/db';
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
import { createRoom, getMembership, type Room } from '../../src/lib/server/rooms';
import { openTempDatabase, type TempDatabase } from '../support/temp-db';

const HOUR_MS = 60 * 60 * 1000;
const T0 = 1_800_000_000_000;

let temp: TempDatabase;
let db: Db;
let room: Room;

beforeEach(() => {
	temp = openTempDatabase('parley-invites-', ['owner', 'member', 'bob', 'carol', 'dave']);
	db = temp.db;
	room = createRoom(db, 'owner', 'Secret', 'private', T0);
	addMember(db, room.id, 'owner', 'member', T0);
});

afterEach(() => {
	temp.dispose();
});

function invite(options: InviteOptions = { expiresInHours: 72 }, now = T0) {
	const result = createInvite(db, room.id, 'owner', options, now);
	if (!result.ok) throw new Error(`createInvite failed: ${result.reason}`);
	return result.value;
}

describe('creating invites', () => {
	it('gives the owner a 120-bit token and stores only its SHA-256', () => {
		const { token, invite: created } = invite({ expiresInHours: 2 });
		expect(token).toMatch(/^[a-z2-7]{24}$/);
		expect(created.expiresAt).toBe(T0 + 2 * HOUR_MS);
		const row = db.prepare('SELECT * FROM invites WHERE id = ?').get(created.id) as Record<
			string,
			unknown
		>;
		expect(Buffer.from(row.token_hash as Uint8Array)).toEqual(Buffer.from(hashInviteToken(token)));
		expect(JSON.stringify(Object.values(row))).not.toContain(token);
		expect(invite().token).not.toBe(token);
	});

	it('refuses members who are not the owner, strangers, unknown rooms and dms', () => {
		const options = { expiresInHours: 1 };
		expect(createInvite(db, room.id, 'member', options)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(createInvite(db, room.id, 'bob', options)).toEqual({
			ok: false,
			reason: 'not-a-member'
		});
		expect(createInvite(db, 'nope', 'owner', options)).toEqual({
			ok: false,
			reason: 'room-not-found'
		});
		const dm = openDm(db, { id: 'owner', username: 'owner' }, 'bob');
		if (!dm.ok) throw new Error('no dm');
		expect(createInvite(db, dm.room.id, 'owner', options)).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		expect(db.prepare('SELECT COUNT(*) AS n FROM invites').get()).toEqual({ n: 0 });
	});
});

describe('accepting invites', () => {
	it('adds the visitor as a member and counts the use', () => {
		const { token } = invite();
		expect(acceptInvite(db, token, 'bob', T0 + 1)).toEqual({
			ok: true,
			value: { room, joined: true }
		});
		expect(getMembership(db, room.id, 'bob')).toBe('member');
		const active = listActiveInvites(db, room.id, 'owner', T0 + 1);
		expect(active.ok && active.value.map((i) => i.uses)).toEqual([1]);
	});

	it('lets a member through again without using the invite up', () => {
		const { token } = invite({ expiresInHours: 1, maxUses: 1 });
		expect(acceptInvite(db, token, 'member', T0)).toMatchObject({
			ok: true,
			value: { joined: false }
		});
		expect(acceptInvite(db, token, 'bob', T0)).toMatchObject({ ok: true, value: { joined: true } });
	});

	it('stops admitting people when the invite expires, by the injected clock', () => {
		const { token } = invite({ expiresInHours: 1 });
		const expiry = T0 + HOUR_MS;
		expect(checkInvite(db, token, expiry - 1).ok).toBe(true);
		expect(acceptInvite(db, token, 'bob', expiry)).toEqual({
			ok: false,
			reason: 'invite-expired'
		});
		expect(getMembership(db, room.id, 'bob')).toBeNull();
		expect(listActiveInvites(db, room.id, 'owner', expiry)).toEqual({ ok: true, value: [] });
	});

	it('admits at most maxUses people', () => {
		const { token } = invite({ expiresInHours: 1, maxUses: 2 });
		expect(acceptInvite(db, token, 'bob', T0).ok).toBe(true);
		expect(acceptInvite(db, token, 'carol', T0).ok).toBe(true);
		expect(acceptInvite(db, token, 'dave', T0)).toEqual({ ok: false, reason: 'invite-used-up' });
		expect(getMembership(db, room.id, 'dave')).toBeNull();
	});

	it('stops admitting people once revoked, and only the owner revokes', () => {
		const { token, invite: created } = invite();
		expect(revokeInvite(db, room.id, 'member', created.id, T0)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(checkInvite(db, token, T0).ok).toBe(true);
		expect(revokeInvite(db, room.id, 'owner', created.id, T0)).toEqual({ ok: true, value: null });
		expect(revokeInvite(db, room.id, 'owner', created.id, T0).ok).toBe(true);
		expect(acceptInvite(db, token, 'bob', T0)).toEqual({ ok: false, reason: 'invite-revoked' });
		expect(getMembership(db, room.id, 'bob')).toBeNull();
		expect(revokeInvite(db, room.id, 'owner', 'unknown', T0)).toEqual({
			ok: false,
			reason: 'invite-not-found'
		});
	});

	it('reports an unknown or absurd token as not found', () => {
		invite();
		expect(acceptInvite(db, 'a'.repeat(24), 'bob', T0)).toEqual({
			ok: false,
			reason: 'invite-not-found'
		});
		expect(checkInvite(db, 'x'.repeat(10_000), T0)).toEqual({
			ok: false,
			reason: 'invite-not-found'
		});
	});

	it('lists only the active invites to the owner, newest first', () => {
		const old = invite({ expiresInHours: 1 }, T0);
		const fresh = invite({ expiresInHours: 1 }, T0 + 10);
		const revoked = invite({ expiresInHours: 1 }, T0 + 20);
		revokeInvite(db, room.id, 'owner', revoked.invite.id, T0 + 30);
		const listed = listActiveInvites(db, room.id, 'owner', T0 + 40);
		expect(listed.ok && listed.value.map((i) => i.id)).toEqual([fresh.invite.id, old.invite.id]);
		expect(listActiveInvites(db, room.id, 'member', T0)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
	});
});
