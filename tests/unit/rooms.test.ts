import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { parseConfig } from '../../src/lib/server/config';
import type { MembershipRevoked } from '../../src/lib/server/events';
import { createServices } from '../../src/lib/server/services';
import { addMember, joinRoom, listMembers, removeMember } from '../../src/lib/server/memberships';
import { createRoom, listPublicRooms, listUserRooms } from '../../src/lib/server/rooms';
import { makeTempDir } from '../support/server';
import { openTempDatabase, type TempDatabase } from '../support/temp-db';
import { createSqliteStorage, type SqliteStorage } from '../../src/lib/server/storage/sqlite';

let temp: TempDatabase;
let db: Db;
let storage: SqliteStorage;
let events: EventEmitter<{ 'membership-revoked': [MembershipRevoked] }>;
let revoked: MembershipRevoked[];

beforeEach(async () => {
	temp = openTempDatabase('parley-rooms-', ['owner', 'bob', 'carol']);
	db = temp.db;
	storage = temp.storage;
	events = new EventEmitter();
	revoked = [];
	events.on('membership-revoked', (event) => revoked.push(event));
});

afterEach(() => {
	temp.dispose();
});

describe('joining rooms', () => {
	it('lets anyone join a public room, and joining twice changes nothing', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Lobby', 'public');
		expect(await joinRoom(storage.rooms, room.id, 'bob')).toEqual({ ok: true, value: room });
		expect((await joinRoom(storage.rooms, room.id, 'bob')).ok).toBe(true);
		expect(await storage.rooms.membership(room.id, 'bob')).toBe('member');
		expect(await listPublicRooms(storage.rooms, 'bob')).toEqual([
			{ id: room.id, name: 'Lobby', joined: true }
		]);
		expect(await listPublicRooms(storage.rooms, 'carol')).toEqual([
			{ id: room.id, name: 'Lobby', joined: false }
		]);
	});

	it('refuses to let a stranger join a private room', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Secret', 'private');
		expect(await joinRoom(storage.rooms, room.id, 'bob')).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(await storage.rooms.membership(room.id, 'bob')).toBeNull();
		expect(await listPublicRooms(storage.rooms, 'bob')).toEqual([]);
	});

	it('reports an unknown room', async () => {
		expect(await joinRoom(storage.rooms, 'nope', 'bob')).toEqual({
			ok: false,
			reason: 'room-not-found'
		});
	});
});

describe('managing members', () => {
	it('lets the owner add a user by name, case-insensitively, once', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		expect(await addMember(storage, room.id, 'owner', 'BOB')).toEqual({
			ok: true,
			value: { id: 'bob', username: 'bob', displayName: '', avatar: null, role: 'member' }
		});
		expect(await addMember(storage, room.id, 'owner', 'bob')).toEqual({
			ok: false,
			reason: 'already-member'
		});
		expect(await addMember(storage, room.id, 'owner', 'nobody')).toEqual({
			ok: false,
			reason: 'user-not-found'
		});
		expect(await listUserRooms(storage.rooms, 'bob')).toEqual([
			{
				id: room.id,
				name: 'Team',
				visibility: 'private',
				kind: 'room',
				role: 'member',
				encrypted: false
			}
		]);
	});

	it('does not let a member who is not the owner add anyone', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		await addMember(storage, room.id, 'owner', 'bob');
		expect(await addMember(storage, room.id, 'bob', 'carol')).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect(await addMember(storage, room.id, 'carol', 'carol')).toEqual({
			ok: false,
			reason: 'not-a-member'
		});
		expect(await storage.rooms.membership(room.id, 'carol')).toBeNull();
	});

	it('lists members to members only, the owner first', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		await addMember(storage, room.id, 'owner', 'carol');
		await addMember(storage, room.id, 'owner', 'bob');
		const result = await listMembers(storage.rooms, room.id, 'bob');
		expect(result.ok && result.value.map((member) => member.id)).toEqual(['owner', 'bob', 'carol']);
		await removeMember(storage.rooms, events, room.id, 'owner', 'carol');
		expect(await listMembers(storage.rooms, room.id, 'carol')).toEqual({
			ok: false,
			reason: 'not-a-member'
		});
	});

	it('lets the owner remove a member and announces the revocation', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		await addMember(storage, room.id, 'owner', 'bob');
		expect(await removeMember(storage.rooms, events, room.id, 'owner', 'bob')).toEqual({
			ok: true,
			value: null
		});
		expect(await storage.rooms.membership(room.id, 'bob')).toBeNull();
		expect(revoked).toEqual([{ roomId: room.id, userId: 'bob' }]);
	});

	it('does not let the owner remove themselves', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		expect(await removeMember(storage.rooms, events, room.id, 'owner', 'owner')).toEqual({
			ok: false,
			reason: 'owner-cannot-leave'
		});
		expect(await storage.rooms.membership(room.id, 'owner')).toBe('owner');
		expect(revoked).toEqual([]);
	});

	it('lets a member leave but not remove anyone else', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		await addMember(storage, room.id, 'owner', 'bob');
		await addMember(storage, room.id, 'owner', 'carol');
		expect(await removeMember(storage.rooms, events, room.id, 'bob', 'carol')).toEqual({
			ok: false,
			reason: 'forbidden'
		});
		expect((await removeMember(storage.rooms, events, room.id, 'bob', 'owner')).ok).toBe(false);
		expect((await removeMember(storage.rooms, events, room.id, 'bob', 'bob')).ok).toBe(true);
		expect(revoked).toEqual([{ roomId: room.id, userId: 'bob' }]);
		expect(await storage.rooms.membership(room.id, 'carol')).toBe('member');
	});

	it('reports removing someone who is not a member without announcing anything', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		expect(await removeMember(storage.rooms, events, room.id, 'owner', 'carol')).toEqual({
			ok: false,
			reason: 'user-not-found'
		});
		expect(revoked).toEqual([]);
	});

	it('announces on the services’ events, the emitter the sync server is given', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Team', 'private');
		await addMember(storage, room.id, 'owner', 'bob');
		const services = createServices(parseConfig({ DATA_DIR: dirname(temp.file) }), { storage });
		const heard: MembershipRevoked[] = [];
		services.events.on('membership-revoked', (event) => void heard.push(event));
		const removed = await removeMember(
			services.storage.rooms,
			services.events,
			room.id,
			'owner',
			'bob'
		);
		expect(removed.ok).toBe(true);
		expect(heard).toEqual([{ roomId: room.id, userId: 'bob' }]);
	});
});

describe('membership lookups', () => {
	it('prepare their query once per database and answer from each database’s own rows', async () => {
		const room = await createRoom(storage.rooms, 'owner', 'Room', 'private');
		const otherDir = makeTempDir('parley-rooms-other-');
		const other = openDatabase(join(otherDir, 'parley.db'));
		try {
			const prepare = vi.spyOn(db, 'prepare');
			for (let i = 0; i < 3; i++)
				expect(await storage.rooms.membership(room.id, 'owner')).toBe('owner');
			expect(await storage.rooms.membership(room.id, 'bob')).toBeNull();
			expect(prepare.mock.calls.length).toBeLessThanOrEqual(1);
			prepare.mockRestore();
			expect(await createSqliteStorage(other).rooms.membership(room.id, 'owner')).toBeNull();
		} finally {
			other.close();
			rmSync(otherDir, { recursive: true, force: true });
		}
	});
});
