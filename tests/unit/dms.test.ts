import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/storage/sqlite/db';
import { acceptDmRequest, declineDmRequest, dmKey, dmName, openDm } from '../../src/lib/server/dms';
import { addMember, joinRoom, listMembers, removeMember } from '../../src/lib/server/memberships';
import { createRoom, listPublicRooms, listUserRooms } from '../../src/lib/server/rooms';
import type { User } from '../../src/lib/server/session';
import { insertUser, openTempDatabase, type TempDatabase } from '../support/temp-db';
import type { SqliteStorage } from '../../src/lib/server/storage/sqlite';

let temp: TempDatabase;
let db: Db;
let storage: SqliteStorage;
const alice: User = { id: 'alice-id', username: 'alice' };
const bob: User = { id: 'bob-id', username: 'bob' };
const carol: User = { id: 'carol-id', username: 'carol' };
/** Shares no room with anyone: a DM to or from dave is a request. */
const dave: User = { id: 'dave-id', username: 'dave' };
let teamId: string;

beforeEach(async () => {
	temp = openTempDatabase('parley-dms-');
	db = temp.db;
	storage = temp.storage;
	for (const user of [alice, bob, carol, dave]) insertUser(db, user.id, user.username);
	// Alice, Bob and Carol share a room, so DMs between them start at once.
	teamId = (await createRoom(storage.rooms, alice.id, 'team', 'private', 0)).id;
	await addMember(storage, teamId, alice.id, 'bob');
	await addMember(storage, teamId, alice.id, 'carol');
});

afterEach(() => {
	temp.dispose();
});

async function open(me: User, username: string, now?: number) {
	const result = await openDm(storage, me, username, now);
	if (!result.ok) throw new Error(`openDm failed: ${result.reason}`);
	return result;
}

describe('direct messages', () => {
	it('creates one private dm room with exactly the two people as members', async () => {
		const { room, created } = await open(alice, 'bob');
		expect(created).toBe(true);
		expect(room).toMatchObject({ name: 'alice & bob', visibility: 'private', kind: 'dm' });
		const members = await listMembers(storage.rooms, room.id, alice.id);
		expect(members.ok && members.value.map((m) => [m.username, m.role])).toEqual([
			['alice', 'member'],
			['bob', 'member']
		]);
	});

	it('gives the same pair the same room whoever starts it and however the name is cased', async () => {
		const first = await open(alice, 'bob');
		const again = await open(alice, 'BOB');
		const reverse = await open(bob, 'alice');
		expect(again).toEqual({ ok: true, room: first.room, created: false, status: 'active' });
		expect(reverse.room.id).toBe(first.room.id);
		expect(db.prepare("SELECT COUNT(*) AS n FROM rooms WHERE kind = 'dm'").get()).toEqual({ n: 1 });
		expect((await open(alice, 'carol')).room.id).not.toBe(first.room.id);
	});

	it('refuses a second dm row for a pair at the database level', async () => {
		await open(alice, 'bob');
		expect(() =>
			db
				.prepare(
					`INSERT INTO rooms (id, name, visibility, owner_id, created_at, kind, dm_key)
					 VALUES ('dup', 'x', 'private', ?, 0, 'dm', ?)`
				)
				.run(bob.id, dmKey(bob.id, alice.id))
		).toThrow(/UNIQUE/);
	});

	it('refuses a dm with yourself and with an unknown user', async () => {
		expect(await openDm(storage, alice, 'ALICE')).toEqual({ ok: false, reason: 'cannot-dm-self' });
		expect(await openDm(storage, alice, 'nobody')).toEqual({ ok: false, reason: 'user-not-found' });
		expect(await storage.rooms.listDms(alice.id)).toEqual([]);
	});

	it('lists each dm with the other person, newest first, and keeps dms out of room lists', async () => {
		const withBob = (await open(alice, 'bob', 1_000)).room;
		const withCarol = (await open(carol, 'alice', 2_000)).room;
		expect(await storage.rooms.listDms(alice.id)).toEqual([
			{
				id: withCarol.id,
				other: carol,
				others: [{ ...carol, displayName: '', pending: false }],
				status: 'active'
			},
			{
				id: withBob.id,
				other: bob,
				others: [{ ...bob, displayName: '', pending: false }],
				status: 'active'
			}
		]);
		expect(await storage.rooms.listDms(bob.id)).toEqual([
			{
				id: withBob.id,
				other: alice,
				others: [{ ...alice, displayName: '', pending: false }],
				status: 'active'
			}
		]);
		expect((await listUserRooms(storage.rooms, alice.id)).map((room) => room.id)).toEqual([teamId]);
		expect(await listPublicRooms(storage.rooms, alice.id)).toEqual([]);
	});

	it('lets nobody join, be added to, be removed from or leave a dm', async () => {
		const { room } = await open(alice, 'bob');
		expect(await joinRoom(storage.rooms, room.id, carol.id)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(await addMember(storage, room.id, alice.id, 'carol')).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		expect(
			await removeMember(storage.rooms, new EventEmitter(), room.id, alice.id, bob.id)
		).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		expect(await removeMember(storage.rooms, new EventEmitter(), room.id, bob.id, bob.id)).toEqual({
			ok: false,
			reason: 'direct-message'
		});
		const members = await listMembers(storage.rooms, room.id, bob.id);
		expect(members.ok && members.value).toHaveLength(2);
		expect((await storage.rooms.get(room.id))?.kind).toBe('dm');
	});
});

describe('dm requests', () => {
	it('makes a dm with someone who shares no room a request the recipient is not a member of', async () => {
		const { room, created, status } = await open(dave, 'alice');
		expect([created, status]).toEqual([true, 'pending']);
		expect(await storage.rooms.listDms(dave.id)).toEqual([
			{
				id: room.id,
				other: alice,
				others: [{ ...alice, displayName: '', pending: true }],
				status: 'pending'
			}
		]);
		expect(await storage.rooms.listDms(alice.id)).toEqual([]);
		expect(await storage.rooms.listDmRequests(alice.id)).toEqual([
			{ id: room.id, other: dave, others: [{ ...dave, displayName: '', pending: false }] }
		]);
		const members = await listMembers(storage.rooms, room.id, dave.id);
		expect(members.ok && members.value.map((member) => member.id)).toEqual([dave.id]);
		expect(await listMembers(storage.rooms, room.id, alice.id)).toEqual({
			ok: false,
			reason: 'not-a-member'
		});
	});

	it('makes the recipient a member on accept, and only the recipient may accept', async () => {
		const { room } = await open(dave, 'alice');
		expect(await acceptDmRequest(storage.rooms, room.id, dave.id)).toEqual({
			ok: false,
			reason: 'request-not-found'
		});
		expect((await acceptDmRequest(storage.rooms, room.id, bob.id)).ok).toBe(false);
		expect(await acceptDmRequest(storage.rooms, room.id, alice.id)).toEqual({ ok: true, room });
		expect(await storage.rooms.listDmRequests(alice.id)).toEqual([]);
		expect(await storage.rooms.listDms(alice.id)).toEqual([
			{
				id: room.id,
				other: dave,
				others: [{ ...dave, displayName: '', pending: false }],
				status: 'active'
			}
		]);
		expect(await storage.rooms.listDms(dave.id)).toEqual([
			{
				id: room.id,
				other: alice,
				others: [{ ...alice, displayName: '', pending: false }],
				status: 'active'
			}
		]);
	});

	it('refuses further requests from a declined sender until the recipient opens the dm', async () => {
		const { room } = await open(dave, 'alice');
		expect(await declineDmRequest(storage.rooms, room.id, alice.id)).toEqual({ ok: true });
		expect((await declineDmRequest(storage.rooms, room.id, alice.id)).ok).toBe(false);
		expect(await storage.rooms.listDmRequests(alice.id)).toEqual([]);
		expect(await openDm(storage, dave, 'alice')).toEqual({ ok: false, reason: 'dm-declined' });
		// Dave keeps his side of the conversation.
		expect(await storage.rooms.listDms(dave.id)).toEqual([
			{
				id: room.id,
				other: alice,
				others: [{ ...alice, displayName: '', pending: false }],
				status: 'active'
			}
		]);

		expect(await open(alice, 'dave')).toMatchObject({ room, created: false, status: 'active' });
		expect((await open(dave, 'alice')).room.id).toBe(room.id);
	});

	it('asks the creation limit only for a new dm, and creates nothing when it refuses', async () => {
		let asked = 0;
		const refuse = () => {
			asked++;
			return { allowed: false as const, retryAfterSeconds: 60 };
		};
		expect(await openDm(storage, dave, 'alice', 0, refuse)).toEqual({
			ok: false,
			reason: 'rate-limited',
			retryAfterSeconds: 60
		});
		expect(await storage.rooms.listDms(dave.id)).toEqual([]);
		const { room } = await open(alice, 'bob');
		expect(await openDm(storage, alice, 'bob', 0, refuse)).toMatchObject({ ok: true, room });
		expect(asked).toBe(1);
	});
});

describe('group dms', () => {
	it('names the set after every username and keys it by every id, sorted', () => {
		expect(dmName(carol, [alice])).toBe('carol & alice');
		expect(dmName(carol, [bob, alice])).toBe('alice, bob & carol');
		expect(dmKey(carol.id, alice.id, bob.id)).toBe('alice-id:bob-id:carol-id');
	});

	it('opens one group per set, whoever of it asks in whatever order or case', async () => {
		const first = await openDm(storage, alice, ['carol', 'bob']);
		expect(first).toMatchObject({
			ok: true,
			created: true,
			status: 'active',
			room: { name: 'alice, bob & carol', kind: 'dm', visibility: 'private', encrypted: true }
		});
		if (!first.ok) throw new Error(first.reason);
		const again = await openDm(storage, carol, ['BOB', 'alice']);
		expect(again).toMatchObject({ ok: true, created: false, room: { id: first.room.id } });
		expect((await storage.rooms.memberIds(first.room.id)).sort()).toEqual([
			alice.id,
			bob.id,
			carol.id
		]);
		// Members cannot add anyone to it, nor leave it.
		expect(await addMember(storage, first.room.id, alice.id, 'dave')).toMatchObject({ ok: false });
		expect(
			await removeMember(storage.rooms, new EventEmitter(), first.room.id, bob.id, bob.id)
		).toMatchObject({ ok: false });
	});

	it('refuses yourself, a person named twice and unknown people, creating nothing', async () => {
		expect(await openDm(storage, alice, ['bob', 'ALICE'])).toEqual({
			ok: false,
			reason: 'cannot-dm-self'
		});
		expect(await openDm(storage, alice, ['bob', 'Bob'])).toEqual({
			ok: false,
			reason: 'dm-duplicate'
		});
		expect(await openDm(storage, alice, ['bob', 'nobody'])).toEqual({
			ok: false,
			reason: 'user-not-found'
		});
		expect(await storage.rooms.listDms(alice.id)).toEqual([]);
	});
});
