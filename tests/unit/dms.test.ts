import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/db';
import { dmKey, listDms, openDm } from '../../src/lib/server/dms';
import { addMember, joinRoom, listMembers, removeMember } from '../../src/lib/server/memberships';
import { getRoom, listPublicRooms, listUserRooms } from '../../src/lib/server/rooms';
import type { User } from '../../src/lib/server/session';
import { insertUser, openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
const alice: User = { id: 'alice-id', username: 'alice' };
const bob: User = { id: 'bob-id', username: 'bob' };
const carol: User = { id: 'carol-id', username: 'carol' };

beforeEach(() => {
	temp = openTempDatabase('parley-dms-');
	db = temp.db;
	for (const user of [alice, bob, carol]) insertUser(db, user.id, user.username);
});

afterEach(() => {
	temp.dispose();
});

function open(me: User, username: string, now?: number) {
	const result = openDm(db, me, username, now);
	if (!result.ok) throw new Error(`openDm failed: ${result.reason}`);
	return result;
}

describe('direct messages', () => {
	it('creates one private dm room with exactly the two people as members', () => {
		const { room, created } = open(alice, 'bob');
		expect(created).toBe(true);
		expect(room).toMatchObject({ name: 'alice & bob', visibility: 'private', kind: 'dm' });
		const members = listMembers(db, room.id, alice.id);
		expect(members.ok && members.value.map((m) => [m.username, m.role])).toEqual([
			['alice', 'member'],
			['bob', 'member']
		]);
	});

	it('gives the same pair the same room whoever starts it and however the name is cased', () => {
		const first = open(alice, 'bob');
		const again = open(alice, 'BOB');
		const reverse = open(bob, 'alice');
		expect(again).toEqual({ ok: true, room: first.room, created: false });
		expect(reverse.room.id).toBe(first.room.id);
		expect(db.prepare("SELECT COUNT(*) AS n FROM rooms WHERE kind = 'dm'").get()).toEqual({ n: 1 });
		expect(open(alice, 'carol').room.id).not.toBe(first.room.id);
	});

	it('refuses a second dm row for a pair at the database level', () => {
		open(alice, 'bob');
		expect(() =>
			db
				.prepare(
					`INSERT INTO rooms (id, name, visibility, owner_id, created_at, kind, dm_key)
					 VALUES ('dup', 'x', 'private', ?, 0, 'dm', ?)`
				)
				.run(bob.id, dmKey(bob.id, alice.id))
		).toThrow(/UNIQUE/);
	});

	it('refuses a dm with yourself and with an unknown user', () => {
		expect(openDm(db, alice, 'ALICE')).toEqual({ ok: false, reason: 'cannot-dm-self' });
		expect(openDm(db, alice, 'nobody')).toEqual({ ok: false, reason: 'user-not-found' });
		expect(listDms(db, alice.id)).toEqual([]);
	});

	it('lists each dm with the other person, newest first, and keeps dms out of room lists', () => {
		const withBob = open(alice, 'bob', 1_000).room;
		const withCarol = open(carol, 'alice', 2_000).room;
		expect(listDms(db, alice.id)).toEqual([
			{ id: withCarol.id, other: carol },
			{ id: withBob.id, other: bob }
		]);
		expect(listDms(db, bob.id)).toEqual([{ id: withBob.id, other: alice }]);
		expect(listUserRooms(db, alice.id)).toEqual([]);
		expect(listPublicRooms(db, alice.id)).toEqual([]);
	});

	it('lets nobody join, be added to, be removed from or leave a dm', () => {
		const { room } = open(alice, 'bob');
		expect(joinRoom(db, room.id, carol.id)).toEqual({ ok: false, reason: 'forbidden' });
		expect(addMember(db, room.id, alice.id, 'carol')).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		expect(removeMember(db, room.id, alice.id, bob.id)).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		expect(removeMember(db, room.id, bob.id, bob.id)).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		const members = listMembers(db, room.id, bob.id);
		expect(members.ok && members.value).toHaveLength(2);
		expect(getRoom(db, room.id)?.kind).toBe('dm');
	});
});
