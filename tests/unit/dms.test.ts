import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/db';
import {
	acceptDmRequest,
	declineDmRequest,
	dmKey,
	listDmRequests,
	listDms,
	openDm
} from '../../src/lib/server/dms';
import { addMember, joinRoom, listMembers, removeMember } from '../../src/lib/server/memberships';
import { createRoom, getRoom, listPublicRooms, listUserRooms } from '../../src/lib/server/rooms';
import type { User } from '../../src/lib/server/session';
import { insertUser, openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
const alice: User = { id: 'alice-id', username: 'alice' };
const bob: User = { id: 'bob-id', username: 'bob' };
const carol: User = { id: 'carol-id', username: 'carol' };
/** Shares no room with anyone: a DM to or from dave is a request. */
const dave: User = { id: 'dave-id', username: 'dave' };
let teamId: string;

beforeEach(() => {
	temp = openTempDatabase('parley-dms-');
	db = temp.db;
	for (const user of [alice, bob, carol, dave]) insertUser(db, user.id, user.username);
	// Alice, Bob and Carol share a room, so DMs between them start at once.
	teamId = createRoom(db, alice.id, 'team', 'private', 0).id;
	addMember(db, teamId, alice.id, 'bob');
	addMember(db, teamId, alice.id, 'carol');
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
		expect(again).toEqual({ ok: true, room: first.room, created: false, status: 'active' });
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
			{ id: withCarol.id, other: carol, status: 'active' },
			{ id: withBob.id, other: bob, status: 'active' }
		]);
		expect(listDms(db, bob.id)).toEqual([{ id: withBob.id, other: alice, status: 'active' }]);
		expect(listUserRooms(db, alice.id).map((room) => room.id)).toEqual([teamId]);
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

describe('dm requests', () => {
	it('makes a dm with someone who shares no room a request the recipient is not a member of', () => {
		const { room, created, status } = open(dave, 'alice');
		expect([created, status]).toEqual([true, 'pending']);
		expect(listDms(db, dave.id)).toEqual([{ id: room.id, other: alice, status: 'pending' }]);
		expect(listDms(db, alice.id)).toEqual([]);
		expect(listDmRequests(db, alice.id)).toEqual([{ id: room.id, other: dave }]);
		const members = listMembers(db, room.id, dave.id);
		expect(members.ok && members.value.map((member) => member.id)).toEqual([dave.id]);
		expect(listMembers(db, room.id, alice.id)).toEqual({ ok: false, reason: 'not-a-member' });
	});

	it('makes the recipient a member on accept, and only the recipient may accept', () => {
		const { room } = open(dave, 'alice');
		expect(acceptDmRequest(db, room.id, dave.id)).toEqual({
			ok: false,
			reason: 'request-not-found'
		});
		expect(acceptDmRequest(db, room.id, bob.id).ok).toBe(false);
		expect(acceptDmRequest(db, room.id, alice.id)).toEqual({ ok: true, room });
		expect(listDmRequests(db, alice.id)).toEqual([]);
		expect(listDms(db, alice.id)).toEqual([{ id: room.id, other: dave, status: 'active' }]);
		expect(listDms(db, dave.id)).toEqual([{ id: room.id, other: alice, status: 'active' }]);
	});

	it('refuses further requests from a declined sender until the recipient opens the dm', () => {
		const { room } = open(dave, 'alice');
		expect(declineDmRequest(db, room.id, alice.id)).toEqual({ ok: true });
		expect(declineDmRequest(db, room.id, alice.id).ok).toBe(false);
		expect(listDmRequests(db, alice.id)).toEqual([]);
		expect(openDm(db, dave, 'alice')).toEqual({ ok: false, reason: 'dm-declined' });
		// Dave keeps his side of the conversation.
		expect(listDms(db, dave.id)).toEqual([{ id: room.id, other: alice, status: 'active' }]);

		expect(open(alice, 'dave')).toMatchObject({ room, created: false, status: 'active' });
		expect(open(dave, 'alice').room.id).toBe(room.id);
	});

	it('asks the creation limit only for a new dm, and creates nothing when it refuses', () => {
		let asked = 0;
		const refuse = () => {
			asked++;
			return { allowed: false as const, retryAfterSeconds: 60 };
		};
		expect(openDm(db, dave, 'alice', 0, refuse)).toEqual({
			ok: false,
			reason: 'rate-limited',
			retryAfterSeconds: 60
		});
		expect(listDms(db, dave.id)).toEqual([]);
		const { room } = open(alice, 'bob');
		expect(openDm(db, alice, 'bob', 0, refuse)).toMatchObject({ ok: true, room });
		expect(asked).toBe(1);
	});
});
