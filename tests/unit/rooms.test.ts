import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/lib/server/db';
import { getEvents, type MembershipRevoked } from '../../src/lib/server/events';
import { addMember, joinRoom, listMembers, removeMember } from '../../src/lib/server/memberships';
import {
	createRoom,
	getMembership,
	listPublicRooms,
	listUserRooms
} from '../../src/lib/server/rooms';
import { makeTempDir } from '../support/server';
import { openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
let events: EventEmitter<{ 'membership-revoked': [MembershipRevoked] }>;
let revoked: MembershipRevoked[];

beforeEach(() => {
	temp = openTempDatabase('parley-rooms-', ['owner', 'bob', 'carol']);
	db = temp.db;
	events = new EventEmitter();
	revoked = [];
	events.on('membership-revoked', (event) => revoked.push(event));
});

afterEach(() => {
	temp.dispose();
});

describe('joining rooms', () => {
	it('lets anyone join a public room, and joining twice changes nothing', () => {
		const room = createRoom(db, 'owner', 'Lobby', 'public');
		expect(joinRoom(db, room.id, 'bob')).toEqual({ ok: true, value: room });
		expect(joinRoom(db, room.id, 'bob').ok).toBe(true);
		expect(getMembership(db, room.id, 'bob')).toBe('member');
		expect(listPublicRooms(db, 'bob')).toEqual([{ id: room.id, name: 'Lobby', joined: true }]);
		expect(listPublicRooms(db, 'carol')).toEqual([{ id: room.id, name: 'Lobby', joined: false }]);
	});

	it('refuses to let a stranger join a private room', () => {
		const room = createRoom(db, 'owner', 'Secret', 'private');
		expect(joinRoom(db, room.id, 'bob')).toEqual({ ok: false, reason: 'forbidden' });
		expect(getMembership(db, room.id, 'bob')).toBeNull();
		expect(listPublicRooms(db, 'bob')).toEqual([]);
	});

	it('reports an unknown room', () => {
		expect(joinRoom(db, 'nope', 'bob')).toEqual({ ok: false, reason: 'room-not-found' });
	});
});

describe('managing members', () => {
	it('lets the owner add a user by name, case-insensitively, once', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		expect(addMember(db, room.id, 'owner', 'BOB')).toEqual({
			ok: true,
			value: { id: 'bob', username: 'bob', role: 'member' }
		});
		expect(addMember(db, room.id, 'owner', 'bob')).toEqual({ ok: false, reason: 'already-member' });
		expect(addMember(db, room.id, 'owner', 'nobody')).toEqual({
			ok: false,
			reason: 'user-not-found'
		});
		expect(listUserRooms(db, 'bob')).toEqual([
			{ id: room.id, name: 'Team', visibility: 'private', kind: 'room', role: 'member' }
		]);
	});

	it('does not let a member who is not the owner add anyone', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		addMember(db, room.id, 'owner', 'bob');
		expect(addMember(db, room.id, 'bob', 'carol')).toEqual({ ok: false, reason: 'forbidden' });
		expect(addMember(db, room.id, 'carol', 'carol')).toEqual({ ok: false, reason: 'not-a-member' });
		expect(getMembership(db, room.id, 'carol')).toBeNull();
	});

	it('lists members to members only, the owner first', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		addMember(db, room.id, 'owner', 'carol');
		addMember(db, room.id, 'owner', 'bob');
		const result = listMembers(db, room.id, 'bob');
		expect(result.ok && result.value.map((member) => member.id)).toEqual(['owner', 'bob', 'carol']);
		removeMember(db, room.id, 'owner', 'carol', events);
		expect(listMembers(db, room.id, 'carol')).toEqual({ ok: false, reason: 'not-a-member' });
	});

	it('lets the owner remove a member and announces the revocation', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		addMember(db, room.id, 'owner', 'bob');
		expect(removeMember(db, room.id, 'owner', 'bob', events)).toEqual({ ok: true, value: null });
		expect(getMembership(db, room.id, 'bob')).toBeNull();
		expect(revoked).toEqual([{ roomId: room.id, userId: 'bob' }]);
	});

	it('does not let the owner remove themselves', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		expect(removeMember(db, room.id, 'owner', 'owner', events)).toEqual({
			ok: false,
			reason: 'owner-cannot-leave'
		});
		expect(getMembership(db, room.id, 'owner')).toBe('owner');
		expect(revoked).toEqual([]);
	});

	it('lets a member leave but not remove anyone else', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		addMember(db, room.id, 'owner', 'bob');
		addMember(db, room.id, 'owner', 'carol');
		expect(removeMember(db, room.id, 'bob', 'carol', events)).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(removeMember(db, room.id, 'bob', 'owner', events).ok).toBe(false);
		expect(removeMember(db, room.id, 'bob', 'bob', events).ok).toBe(true);
		expect(revoked).toEqual([{ roomId: room.id, userId: 'bob' }]);
		expect(getMembership(db, room.id, 'carol')).toBe('member');
	});

	it('reports removing someone who is not a member without announcing anything', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		expect(removeMember(db, room.id, 'owner', 'carol', events)).toEqual({
			ok: false,
			reason: 'user-not-found'
		});
		expect(revoked).toEqual([]);
	});

	it('announces on the process-wide events by default, where the sync server listens', () => {
		const room = createRoom(db, 'owner', 'Team', 'private');
		addMember(db, room.id, 'owner', 'bob');
		const heard: MembershipRevoked[] = [];
		const listener = (event: MembershipRevoked): void => void heard.push(event);
		getEvents().on('membership-revoked', listener);
		try {
			expect(removeMember(db, room.id, 'owner', 'bob').ok).toBe(true);
		} finally {
			getEvents().off('membership-revoked', listener);
		}
		expect(heard).toEqual([{ roomId: room.id, userId: 'bob' }]);
	});
});

describe('membership lookups', () => {
	it('prepare their query once per database and answer from each database’s own rows', () => {
		const room = createRoom(db, 'owner', 'Room', 'private');
		const otherDir = makeTempDir('parley-rooms-other-');
		const other = openDatabase(join(otherDir, 'parley.db'));
		try {
			const prepare = vi.spyOn(db, 'prepare');
			for (let i = 0; i < 3; i++) expect(getMembership(db, room.id, 'owner')).toBe('owner');
			expect(getMembership(db, room.id, 'bob')).toBeNull();
			expect(prepare.mock.calls.length).toBeLessThanOrEqual(1);
			prepare.mockRestore();
			expect(getMembership(other, room.id, 'owner')).toBeNull();
		} finally {
			other.close();
			rmSync(otherDir, { recursive: true, force: true });
		}
	});
});
