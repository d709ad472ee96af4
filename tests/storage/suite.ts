/**
 * The storage conformance suite: what every `Storage` implementation (src/lib/server/storage/)
 * must do, through the interface alone — no SQL, no driver. A backend passes it by one test file:
 *
 *   describeStorage('PostgreSQL', async () => { ...; return { storage, dispose } });
 *
 * `makeStorage` gives a fresh, empty, migrated storage per test (and how to tear it down);
 * `openSecond`, when given, a second storage on the SAME data (another process / connection).
 */
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SearchQueryError, UnknownRoomError } from '../../src/lib/server/storage/errors';
import type { Invite, Storage, User } from '../../src/lib/server/storage/types';
import { buildSeal } from '../../sync-server/seal';
import { messageTexts, messageUpdate } from '../support/messages';

export interface StorageUnderTest {
	readonly storage: Storage;
	/** Another storage on the same data, as a second instance would open it. */
	openSecond(): Promise<Storage>;
	dispose(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
type Admit = Parameters<Storage['rooms']['openDm']>[0]['admit'];
const T0 = Date.UTC(2025, 0, 1);
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

export function describeStorage(name: string, makeStorage: () => Promise<StorageUnderTest>): void {
	describe(`Storage conformance: ${name}`, () => {
		let under: StorageUnderTest;
		let storage: Storage;

		beforeEach(async () => {
			under = await makeStorage();
			storage = under.storage;
		});

		afterEach(async () => {
			await under.dispose();
		});

		/** Users by id; username = id. */
		async function users(...ids: string[]): Promise<void> {
			for (const id of ids) {
				const created = await storage.accounts.createUser({
					user: { id, username: id },
					skeleton: `skeleton-of-${id}`,
					passwordHash: `hash-of-${id}`,
					now: T0
				});
				if (!created.ok) throw new Error(`user ${id}: ${created.reason}`);
			}
		}

		async function room(
			id: string,
			owner: string,
			visibility: 'public' | 'private' = 'private',
			now = T0
		): Promise<string> {
			await storage.rooms.create({ id, name: `room ${id}`, visibility, ownerId: owner, now });
			return id;
		}

		describe('accounts', () => {
			it('creates users, found by id and by name without regard to case', async () => {
				await users('alice');
				const alice: User = { id: 'alice', username: 'alice' };
				expect(await storage.accounts.getUser('alice')).toEqual(alice);
				expect(await storage.accounts.findUserByUsername('ALICE')).toEqual(alice);
				expect(await storage.accounts.findUserByUsername('nobody')).toBeNull();
				expect(await storage.accounts.getUser('nobody')).toBeNull();
				expect(await storage.accounts.findCredentials('Alice')).toEqual({
					user: alice,
					passwordHash: 'hash-of-alice'
				});
				expect(await storage.accounts.findCredentials('nobody')).toBeNull();
			});

			it('refuses a taken name in any case, and a name with a taken skeleton', async () => {
				await users('alice');
				const attempt = (username: string, skeleton: string) =>
					storage.accounts.createUser({
						user: { id: `id-${username}`, username },
						skeleton,
						passwordHash: 'x',
						now: T0
					});
				expect(await storage.accounts.findUsernameClash('ALICE', 'other')).toBe('username-taken');
				expect(await storage.accounts.findUsernameClash('al1ce', 'skeleton-of-alice')).toBe(
					'username-lookalike'
				);
				expect(await storage.accounts.findUsernameClash('bob', 'skeleton-of-bob')).toBeNull();
				expect(await attempt('Alice', 'new')).toEqual({ ok: false, reason: 'username-taken' });
				expect(await attempt('al1ce', 'skeleton-of-alice')).toEqual({
					ok: false,
					reason: 'username-lookalike'
				});
				expect(await storage.accounts.getUser('id-al1ce')).toBeNull();
				expect(await attempt('bob', 'skeleton-of-bob')).toEqual({
					ok: true,
					user: { id: 'id-bob', username: 'bob' }
				});
			});

			it('keeps sessions with their user, renews and deletes them', async () => {
				await users('alice', 'bob');
				const secretHash = bytes(1, 2, 3);
				const session = { id: 's1', userId: 'alice', createdAt: T0, lastVerifiedAt: T0 };
				await storage.accounts.insertSession({ ...session, secretHash });
				await storage.accounts.insertSession({ ...session, id: 's2', secretHash });
				await storage.accounts.insertSession({ ...session, id: 's3', userId: 'bob', secretHash });
				const stored = await storage.accounts.getSession('s1');
				expect(stored).toMatchObject({ ...session, username: 'alice' });
				expect(new Uint8Array(stored?.secretHash ?? [])).toEqual(secretHash);
				await storage.accounts.touchSession('s1', T0 + 5);
				expect((await storage.accounts.getSession('s1'))?.lastVerifiedAt).toBe(T0 + 5);
				await storage.accounts.deleteSession('s1');
				expect(await storage.accounts.getSession('s1')).toBeNull();
				await storage.accounts.deleteUserSessions('alice');
				expect(await storage.accounts.getSession('s2')).toBeNull();
				expect(await storage.accounts.getSession('s3')).not.toBeNull();
			});

			it('knows a login key from `since` on, per user', async () => {
				await users('alice', 'bob');
				const key = bytes(9);
				await storage.accounts.rememberLogin({
					userId: 'alice',
					keyHashes: [key],
					now: T0,
					forgetBefore: 0,
					keepPerUser: 50
				});
				expect(await storage.accounts.isKnownLogin('alice', key, T0)).toBe(true);
				expect(await storage.accounts.isKnownLogin('alice', key, T0 + 1)).toBe(false);
				expect(await storage.accounts.isKnownLogin('bob', key, 0)).toBe(false);
				expect(await storage.accounts.isKnownLogin('alice', bytes(8), 0)).toBe(false);
			});

			it('forgets login keys seen before `forgetBefore` and all but the most recent', async () => {
				await users('alice');
				const remember = (key: number, now: number, keepPerUser = 3) =>
					storage.accounts.rememberLogin({
						userId: 'alice',
						keyHashes: [bytes(key)],
						now,
						forgetBefore: now - DAY_MS,
						keepPerUser
					});
				await remember(1, T0);
				await remember(2, T0 + 1);
				await remember(3, T0 + 2);
				await remember(4, T0 + 3);
				expect(await storage.accounts.isKnownLogin('alice', bytes(1), 0)).toBe(false);
				for (const key of [2, 3, 4]) {
					expect(await storage.accounts.isKnownLogin('alice', bytes(key), 0)).toBe(true);
				}
				// Seen again: its time moves on, and a day later the others are gone.
				await remember(2, T0 + DAY_MS + 10);
				expect(await storage.accounts.isKnownLogin('alice', bytes(2), T0 + DAY_MS)).toBe(true);
				expect(await storage.accounts.isKnownLogin('alice', bytes(3), 0)).toBe(false);
				expect(await storage.accounts.isKnownLogin('alice', bytes(4), 0)).toBe(false);
			});
		});

		describe('devices', () => {
			const key = (n: number): string => `${'A'.repeat(41)}${String(n).padStart(2, '0')}`;
			const device = (id: string, userId: string, n: number, createdAt = T0) => ({
				id,
				userId,
				name: `device ${id}`,
				signingKey: key(n),
				agreementKey: key(50 + n),
				createdAt
			});

			it('registers devices and lists a user’s active ones, oldest first', async () => {
				await users('ann', 'bob');
				expect(await storage.devices.register(device('d2', 'ann', 2, T0 + 5), 5)).toEqual({
					ok: true
				});
				expect(await storage.devices.register(device('d1', 'ann', 1, T0), 5)).toEqual({ ok: true });
				expect(await storage.devices.register(device('d3', 'bob', 3), 5)).toEqual({ ok: true });
				expect((await storage.devices.listOfUser('ann')).map((d) => d.id)).toEqual(['d1', 'd2']);
				expect(await storage.devices.get('d3')).toEqual({
					...device('d3', 'bob', 3),
					removedAt: null
				});
				expect(await storage.devices.get('nope')).toBeNull();
			});

			it('refuses a signing key any device ever had, and more than the active maximum', async () => {
				await users('ann', 'bob');
				await storage.devices.register(device('d1', 'ann', 1), 2);
				expect(await storage.devices.register(device('d2', 'bob', 1), 2)).toEqual({
					ok: false,
					reason: 'key-in-use'
				});
				await storage.devices.register(device('d3', 'ann', 3), 2);
				expect(await storage.devices.register(device('d4', 'ann', 4), 2)).toEqual({
					ok: false,
					reason: 'too-many-devices'
				});
				// Removing one frees its place, never its key.
				expect(await storage.devices.remove('ann', 'd1', T0 + 1)).toBe(true);
				expect(await storage.devices.register(device('d5', 'ann', 1), 2)).toEqual({
					ok: false,
					reason: 'key-in-use'
				});
				expect(await storage.devices.register(device('d4', 'ann', 4), 2)).toEqual({ ok: true });
			});

			it('removes only the owner’s active device and keeps its keys readable', async () => {
				await users('ann', 'bob');
				await storage.devices.register(device('d1', 'ann', 1), 5);
				expect(await storage.devices.remove('bob', 'd1', T0 + 1)).toBe(false);
				expect(await storage.devices.remove('ann', 'd1', T0 + 2)).toBe(true);
				expect(await storage.devices.remove('ann', 'd1', T0 + 3)).toBe(false);
				expect(await storage.devices.listOfUser('ann')).toEqual([]);
				expect(await storage.devices.get('d1')).toEqual({
					...device('d1', 'ann', 1),
					removedAt: T0 + 2
				});
			});

			it('queues sealed messages per device, all or none, and drops what the device acks', async () => {
				await users('ann', 'bob');
				for (const [id, user, n] of [
					['a1', 'ann', 1],
					['b1', 'bob', 2],
					['b2', 'bob', 3]
				] as const) {
					await storage.devices.register(device(id, user, n), 5);
				}
				const share = (id: string, toDevice: string) => ({
					id,
					toDevice,
					body: `k1.${id}`,
					sig: 's'
				});
				expect(
					await storage.devices.sendToDevices('a1', [share('m1', 'b1'), share('m2', 'b2')], T0, 2)
				).toEqual({ ok: true });
				expect(await storage.devices.sendToDevices('a1', [share('m3', 'b1')], T0 + 1, 2)).toEqual({
					ok: true
				});
				// b1's inbox is full: nothing of this batch is queued, b2's share included.
				expect(
					await storage.devices.sendToDevices('a1', [share('m4', 'b2'), share('m5', 'b1')], T0, 2)
				).toEqual({ ok: false, reason: 'inbox-full', device: 'b1' });
				expect(await storage.devices.sendToDevices('a1', [share('m6', 'nope')], T0, 2)).toEqual({
					ok: false,
					reason: 'unknown-device',
					device: 'nope'
				});
				expect(await storage.devices.inbox('b1', 10)).toEqual([
					{ id: 'm1', fromDevice: 'a1', fromUser: 'ann', body: 'k1.m1', sig: 's', createdAt: T0 },
					{
						id: 'm3',
						fromDevice: 'a1',
						fromUser: 'ann',
						body: 'k1.m3',
						sig: 's',
						createdAt: T0 + 1
					}
				]);
				expect((await storage.devices.inbox('b2', 10)).map((m) => m.id)).toEqual(['m2']);
				expect(await storage.devices.inbox('b1', 1)).toHaveLength(1);
				// Acks delete only the device's own messages.
				expect(await storage.devices.ackInbox('b2', ['m1'])).toBe(0);
				expect(await storage.devices.ackInbox('b1', ['m1', 'm9'])).toBe(1);
				expect((await storage.devices.inbox('b1', 10)).map((m) => m.id)).toEqual(['m3']);
				// A removed device receives nothing new.
				await storage.devices.remove('bob', 'b2', T0 + 2);
				expect(await storage.devices.sendToDevices('a1', [share('m7', 'b2')], T0, 2)).toEqual({
					ok: false,
					reason: 'unknown-device',
					device: 'b2'
				});
			});
		});

		describe('rooms and memberships', () => {
			it('creates a room with its owner as member, listed newest first', async () => {
				await users('owner', 'bob');
				const created = await storage.rooms.create({
					id: 'r1',
					name: 'Lobby',
					visibility: 'public',
					ownerId: 'owner',
					now: T0
				});
				expect(created).toEqual({
					id: 'r1',
					name: 'Lobby',
					visibility: 'public',
					kind: 'room',
					ownerId: 'owner',
					createdAt: T0,
					epoch: 0,
					topic: '',
					archivedAt: null,
					encrypted: false
				});
				expect(await storage.rooms.get('r1')).toEqual(created);
				expect(await storage.rooms.get('nope')).toBeNull();
				expect(await storage.rooms.membership('r1', 'owner')).toBe('owner');
				expect(await storage.rooms.membership('r1', 'bob')).toBeNull();
				await room('r2', 'owner', 'private', T0 + 1);
				expect(await storage.rooms.listOfUser('owner')).toEqual([
					{
						id: 'r2',
						name: 'room r2',
						visibility: 'private',
						kind: 'room',
						role: 'owner',
						encrypted: false
					},
					{
						id: 'r1',
						name: 'Lobby',
						visibility: 'public',
						kind: 'room',
						role: 'owner',
						encrypted: false
					}
				]);
				expect(await storage.rooms.listOfUser('bob')).toEqual([]);
			});

			it('changes a room’s name, topic and archive state, leaving absent fields as they are', async () => {
				await users('owner');
				await room('r1', 'owner');
				const renamed = await storage.rooms.updateSettings('r1', {
					name: 'Garden',
					topic: 'Plants'
				});
				expect(renamed).toMatchObject({ name: 'Garden', topic: 'Plants', archivedAt: null });
				expect(await storage.roomLog.isArchived('r1')).toBe(false);
				const archived = await storage.rooms.updateSettings('r1', { archivedAt: T0 + 5 });
				expect(archived).toMatchObject({ name: 'Garden', topic: 'Plants', archivedAt: T0 + 5 });
				expect(await storage.rooms.get('r1')).toEqual(archived);
				expect(await storage.roomLog.isArchived('r1')).toBe(true);
				const [summary] = await storage.summaries.ofUser('owner', 'owner');
				expect(summary).toMatchObject({ name: 'Garden', topic: 'Plants', archived: true });
				const reopened = await storage.rooms.updateSettings('r1', { archivedAt: null, topic: '' });
				expect(reopened).toMatchObject({ name: 'Garden', topic: '', archivedAt: null });
				expect(await storage.roomLog.isArchived('r1')).toBe(false);
				expect(await storage.rooms.updateSettings('nope', { name: 'x' })).toBeNull();
				expect(await storage.roomLog.isArchived('nope')).toBe(false);
			});

			it('keeps a room’s encrypted flag, chosen at creation', async () => {
				await users('owner');
				const created = await storage.rooms.create({
					id: 'secret',
					name: 'Secret',
					visibility: 'private',
					ownerId: 'owner',
					now: T0,
					encrypted: true
				});
				expect(created.encrypted).toBe(true);
				expect(await storage.rooms.get('secret')).toEqual(created);
				expect(await storage.rooms.listOfUser('owner')).toMatchObject([
					{ id: 'secret', encrypted: true }
				]);
				// The summary says so too: the browser shows its own decrypted preview.
				expect(await storage.summaries.ofUser('owner', 'owner')).toMatchObject([
					{ id: 'secret', encrypted: true }
				]);
				expect(await storage.summaries.ofRoom('secret', 'owner', 'owner')).toMatchObject({
					encrypted: true
				});
			});

			it('lists public rooms only, newest first, marked joined, up to the limit', async () => {
				await users('owner', 'bob');
				await room('a', 'owner', 'public', T0);
				await room('b', 'owner', 'public', T0 + 1);
				await room('c', 'owner', 'private', T0 + 2);
				await storage.rooms.addMember('a', 'bob', T0);
				expect(await storage.rooms.listPublic('bob', 10)).toEqual([
					{ id: 'b', name: 'room b', joined: false },
					{ id: 'a', name: 'room a', joined: true }
				]);
				expect(await storage.rooms.listPublic('bob', 1)).toEqual([
					{ id: 'b', name: 'room b', joined: false }
				]);
			});

			it('keeps a display name per user, shown in the member list; unknown users have none', async () => {
				await users('owner', 'bob');
				await room('r', 'owner');
				await storage.rooms.addMember('r', 'bob', T0);
				expect(await storage.accounts.getProfile('bob')).toEqual({
					id: 'bob',
					username: 'bob',
					displayName: '',
					avatar: null
				});
				expect(await storage.accounts.setDisplayName('bob', 'Bob Ross')).toEqual({
					id: 'bob',
					username: 'bob',
					displayName: 'Bob Ross',
					avatar: null
				});
				expect(await storage.rooms.members('r')).toEqual([
					{ id: 'owner', username: 'owner', displayName: '', avatar: null, role: 'owner' },
					{ id: 'bob', username: 'bob', displayName: 'Bob Ross', avatar: null, role: 'member' }
				]);
				await storage.accounts.setDisplayName('bob', '');
				expect((await storage.accounts.getProfile('bob'))?.displayName).toBe('');
				expect(await storage.accounts.getProfile('nobody')).toBeNull();
				expect(await storage.accounts.setDisplayName('nobody', 'x')).toBeNull();
			});

			it('keeps an uploaded picture per user, shown in the member list; replacing it retires the old bytes', async () => {
				await users('owner', 'bob');
				await room('r', 'owner');
				await storage.rooms.addMember('r', 'bob', T0);
				const first = { sha256: 'a'.repeat(64), type: 'image/png', version: 'a'.repeat(16) };
				const second = { sha256: 'b'.repeat(64), type: 'image/webp', version: 'b'.repeat(16) };
				expect(await storage.accounts.getAvatar('bob')).toBeNull();
				expect(await storage.accounts.setAvatar('bob', first, T0)).toEqual({
					id: 'bob',
					username: 'bob',
					displayName: '',
					avatar: first.version
				});
				expect(await storage.accounts.getAvatar('bob')).toEqual(first);
				expect(await storage.files.hasContent(first.sha256)).toBe(true);
				expect((await storage.rooms.members('r')).map((m) => [m.id, m.avatar])).toEqual([
					['owner', null],
					['bob', first.version]
				]);
				// The same picture again retires nothing; a new one retires the old bytes.
				await storage.accounts.setAvatar('bob', first, T0 + 1);
				expect((await storage.accounts.setAvatar('bob', second, T0 + 2))?.avatar).toBe(
					second.version
				);
				expect(await storage.files.hasContent(first.sha256)).toBe(false);
				expect(await storage.files.deleteUnreferenced(T0 + 2)).toEqual({
					deleted: 0,
					orphaned: []
				});
				expect(await storage.files.deleteUnreferenced(T0 + 3)).toEqual({
					deleted: 0,
					orphaned: [first.sha256]
				});
				// Removed: the bytes are retired; bytes another user's picture names are not orphaned.
				await storage.accounts.setAvatar('owner', second, T0 + 3);
				expect(await storage.accounts.setAvatar('bob', null, T0 + 4)).toMatchObject({
					avatar: null
				});
				expect(await storage.accounts.getAvatar('bob')).toBeNull();
				expect(await storage.files.deleteUnreferenced(T0 + 5)).toEqual({
					deleted: 0,
					orphaned: []
				});
				expect(await storage.files.hasContent(second.sha256)).toBe(true);
				expect(await storage.accounts.setAvatar('nobody', first, T0)).toBeNull();
				expect(await storage.accounts.getAvatar('nobody')).toBeNull();
			});

			it('lists members owner first, then by name without regard to case', async () => {
				await storage.accounts.createUser({
					user: { id: 'z', username: 'Zed' },
					skeleton: 'zed',
					passwordHash: 'x',
					now: T0
				});
				await users('owner', 'bob', 'Carol');
				await room('r', 'z');
				for (const id of ['Carol', 'owner', 'bob']) await storage.rooms.addMember('r', id, T0);
				expect((await storage.rooms.members('r')).map((m) => [m.id, m.username, m.role])).toEqual([
					['z', 'Zed', 'owner'],
					['bob', 'bob', 'member'],
					['Carol', 'Carol', 'member'],
					['owner', 'owner', 'member']
				]);
				expect((await storage.rooms.memberIds('r')).sort()).toEqual(['Carol', 'bob', 'owner', 'z']);
			});

			it('adds a member once, bans on removal when asked, and lifts the ban on being let in', async () => {
				await users('owner', 'bob', 'carol');
				await room('r', 'owner');
				await storage.rooms.addMember('r', 'bob', T0);
				await storage.rooms.addMember('r', 'bob', T0 + 1);
				expect(await storage.rooms.membership('r', 'bob')).toBe('member');
				// Adding the owner again changes nothing.
				await storage.rooms.addMember('r', 'owner', T0);
				expect(await storage.rooms.membership('r', 'owner')).toBe('owner');

				expect(await storage.rooms.removeMember('r', 'bob', { ban: true, now: T0 + 2 })).toBe(true);
				expect(await storage.rooms.membership('r', 'bob')).toBeNull();
				expect(await storage.rooms.isBanned('r', 'bob')).toBe(true);
				expect(await storage.rooms.bans('r')).toEqual([
					{ id: 'bob', username: 'bob', bannedAt: T0 + 2 }
				]);
				expect(await storage.rooms.removeMember('r', 'bob', { ban: true, now: T0 })).toBe(false);

				await storage.rooms.addMember('r', 'bob', T0 + 3);
				expect(await storage.rooms.isBanned('r', 'bob')).toBe(false);

				await storage.rooms.addMember('r', 'carol', T0);
				expect(await storage.rooms.removeMember('r', 'carol', { ban: false, now: T0 })).toBe(true);
				expect(await storage.rooms.isBanned('r', 'carol')).toBe(false);
			});

			it('unbans once', async () => {
				await users('owner', 'bob');
				await room('r', 'owner');
				await storage.rooms.addMember('r', 'bob', T0);
				await storage.rooms.removeMember('r', 'bob', { ban: true, now: T0 });
				expect(await storage.rooms.unban('r', 'bob')).toBe(true);
				expect(await storage.rooms.unban('r', 'bob')).toBe(false);
				expect(await storage.rooms.bans('r')).toEqual([]);
			});
		});

		describe('invites', () => {
			const HOUR_MS = 60 * 60 * 1000;
			function invite(id: string, overrides: Partial<Invite> = {}): Invite {
				return {
					id,
					roomId: 'r',
					createdAt: T0,
					expiresAt: T0 + HOUR_MS,
					maxUses: null,
					uses: 0,
					revokedAt: null,
					...overrides
				};
			}
			async function create(value: Invite, token: number): Promise<Uint8Array> {
				const tokenHash = bytes(token, token);
				await storage.rooms.createInvite({ invite: value, tokenHash, createdBy: 'owner' });
				return tokenHash;
			}

			beforeEach(async () => {
				await users('owner', 'bob', 'carol');
				await room('r', 'owner');
			});

			it('finds an invite by its token hash and lists the active ones, newest first', async () => {
				const first = await create(invite('i1'), 1);
				await create(invite('i2', { createdAt: T0 + 1 }), 2);
				await create(invite('i3', { maxUses: 1, uses: 0 }), 3);
				await create(invite('old', { expiresAt: T0 + 5 }), 4);
				expect(await storage.rooms.findInvite(first)).toEqual(invite('i1'));
				expect(await storage.rooms.findInvite(bytes(7))).toBeNull();
				expect((await storage.rooms.activeInvites('r', T0 + 5)).map((i) => i.id)).toEqual([
					'i2',
					'i1',
					'i3'
				]);
				expect(await storage.rooms.revokeInvite('r', 'i2', T0 + 6)).toBe(true);
				expect(await storage.rooms.revokeInvite('r', 'i2', T0 + 7)).toBe(true);
				expect((await storage.rooms.findInvite(bytes(2, 2)))?.revokedAt).toBe(T0 + 6);
				expect(await storage.rooms.revokeInvite('r', 'unknown', T0)).toBe(false);
				expect(await storage.rooms.revokeInvite('other-room', 'i1', T0)).toBe(false);
				expect((await storage.rooms.activeInvites('r', T0 + 6)).map((i) => i.id)).toEqual([
					'i1',
					'i3'
				]);
			});

			it('lets a visitor in once per use and a member in without using it up', async () => {
				const token = await create(invite('i', { maxUses: 1 }), 1);
				expect(await storage.rooms.acceptInvite(token, 'owner', T0)).toMatchObject({
					status: 'already-member',
					room: { id: 'r' }
				});
				expect(await storage.rooms.acceptInvite(token, 'bob', T0)).toMatchObject({
					status: 'joined',
					room: { id: 'r' }
				});
				expect(await storage.rooms.membership('r', 'bob')).toBe('member');
				expect((await storage.rooms.findInvite(token))?.uses).toBe(1);
				expect(await storage.rooms.acceptInvite(token, 'carol', T0)).toEqual({
					status: 'inactive',
					state: 'used-up'
				});
				expect(await storage.rooms.membership('r', 'carol')).toBeNull();
				expect(await storage.rooms.acceptInvite(bytes(5), 'carol', T0)).toEqual({
					status: 'not-found'
				});
			});

			it('admits nobody once expired or revoked, and lifts a ban for who it admits', async () => {
				const token = await create(invite('i'), 1);
				expect(await storage.rooms.acceptInvite(token, 'bob', T0 + HOUR_MS)).toEqual({
					status: 'inactive',
					state: 'expired'
				});
				await storage.rooms.addMember('r', 'bob', T0);
				await storage.rooms.removeMember('r', 'bob', { ban: true, now: T0 });
				expect((await storage.rooms.acceptInvite(token, 'bob', T0)).status).toBe('joined');
				expect(await storage.rooms.isBanned('r', 'bob')).toBe(false);
				await storage.rooms.revokeInvite('r', 'i', T0 + 1);
				expect(await storage.rooms.acceptInvite(token, 'carol', T0 + 2)).toEqual({
					status: 'inactive',
					state: 'revoked'
				});
			});

			it('gives the last use to exactly one of two simultaneous visitors', async () => {
				const token = await create(invite('i', { maxUses: 1 }), 1);
				const outcomes = await Promise.all([
					storage.rooms.acceptInvite(token, 'bob', T0),
					storage.rooms.acceptInvite(token, 'carol', T0)
				]);
				expect(outcomes.map((o) => o.status).sort()).toEqual(['inactive', 'joined']);
				expect((await storage.rooms.findInvite(token))?.uses).toBe(1);
				const members = await storage.rooms.memberIds('r');
				expect(members.filter((id) => id === 'bob' || id === 'carol')).toHaveLength(1);
			});
		});

		describe('direct messages', () => {
			const alice: User = { id: 'alice', username: 'alice' };
			const bob: User = { id: 'bob', username: 'bob' };
			const carol: User = { id: 'carol', username: 'carol' };
			const dave: User = { id: 'dave', username: 'dave' };
			const allow = () => ({ allowed: true as const });
			let asked = 0;
			const counting = () => {
				asked++;
				return { allowed: true as const };
			};
			const open = (me: User, other: User | User[], roomId: string, admit: Admit = allow) => {
				const others = Array.isArray(other) ? other : [other];
				return storage.rooms.openDm({
					me,
					others,
					key: [me.id, ...others.map((person) => person.id)].sort().join(':'),
					roomId,
					name: [me, ...others].map((person) => person.username).join(' & '),
					now: T0,
					admit
				});
			};
			/** How a DM lists one of the other people. */
			const person = (user: User, pending = false, displayName = '') => ({
				...user,
				displayName,
				pending
			});

			beforeEach(async () => {
				asked = 0;
				await users('alice', 'bob', 'carol', 'dave');
				// alice, bob and carol share a room; dave shares none.
				await room('team', 'alice');
				await storage.rooms.addMember('team', 'bob', T0);
				await storage.rooms.addMember('team', 'carol', T0);
			});

			it('opens a DM at once between people who share a room, and only one per pair', async () => {
				const opened = await open(alice, bob, 'dm1');
				expect(opened).toMatchObject({
					status: 'opened',
					created: true,
					dmStatus: 'active',
					room: {
						id: 'dm1',
						kind: 'dm',
						visibility: 'private',
						name: 'alice & bob',
						encrypted: true
					}
				});
				expect((await storage.rooms.memberIds('dm1')).sort()).toEqual(['alice', 'bob']);
				expect(await storage.rooms.membership('dm1', 'alice')).toBe('member');
				const again = await open(bob, alice, 'dm2', counting);
				expect(again).toMatchObject({ status: 'opened', created: false, room: { id: 'dm1' } });
				expect(asked).toBe(0);
				expect(await storage.rooms.get('dm2')).toBeNull();
				expect(await storage.rooms.listDms('bob')).toEqual([
					{ id: 'dm1', other: alice, others: [person(alice)], status: 'active' }
				]);
				// The others come with their display names (the DM is titled after them).
				await storage.accounts.setDisplayName('alice', 'Alice Liddell');
				expect(await storage.rooms.listDms('bob')).toEqual([
					{
						id: 'dm1',
						other: alice,
						others: [person(alice, false, 'Alice Liddell')],
						status: 'active'
					}
				]);
				// DMs are not rooms of the user's room list nor of the directory.
				expect((await storage.rooms.listOfUser('alice')).map((r) => r.id)).toEqual(['team']);
			});

			it('makes a DM to a stranger a request, which the recipient accepts', async () => {
				const opened = await open(dave, alice, 'dm', counting);
				expect(opened).toMatchObject({ status: 'opened', created: true, dmStatus: 'pending' });
				expect(asked).toBe(1);
				expect(await storage.rooms.memberIds('dm')).toEqual(['dave']);
				expect(await storage.rooms.listDms('dave')).toEqual([
					{ id: 'dm', other: alice, others: [person(alice, true)], status: 'pending' }
				]);
				expect(await storage.rooms.listDms('alice')).toEqual([]);
				expect(await storage.rooms.listDmRequests('alice')).toEqual([
					{ id: 'dm', other: dave, others: [person(dave)] }
				]);
				expect(await storage.rooms.acceptDmRequest('dm', 'dave', T0)).toBeNull();
				expect(await storage.rooms.acceptDmRequest('dm', 'alice', T0)).toMatchObject({ id: 'dm' });
				expect(await storage.rooms.acceptDmRequest('dm', 'alice', T0)).toBeNull();
				expect(await storage.rooms.listDmRequests('alice')).toEqual([]);
				expect(await storage.rooms.listDms('alice')).toEqual([
					{ id: 'dm', other: dave, others: [person(dave)], status: 'active' }
				]);
			});

			it('lets the recipient join a pending DM by opening it themselves', async () => {
				await open(dave, alice, 'dm');
				const opened = await open(alice, dave, 'other');
				expect(opened).toMatchObject({ status: 'opened', created: false, dmStatus: 'active' });
				expect((await storage.rooms.memberIds('dm')).sort()).toEqual(['alice', 'dave']);
				expect(await storage.rooms.listDmRequests('alice')).toEqual([]);
			});

			it('refuses further DMs from a declined sender, until the recipient opens one', async () => {
				await open(dave, alice, 'dm');
				expect(await storage.rooms.declineDmRequest('dm', 'dave', T0)).toBe(false);
				expect(await storage.rooms.declineDmRequest('dm', 'alice', T0)).toBe(true);
				expect(await storage.rooms.declineDmRequest('dm', 'alice', T0)).toBe(false);
				expect(await storage.rooms.listDmRequests('alice')).toEqual([]);
				expect(await open(dave, alice, 'dm3')).toEqual({ status: 'declined' });
				expect(await open(alice, dave, 'dm4')).toMatchObject({ status: 'opened', created: false });
				expect((await open(dave, alice, 'dm5')).status).toBe('opened');
			});

			it('opens a group DM: those who share a room with the creator at once, requests to the rest', async () => {
				const opened = await open(alice, [dave, carol, bob], 'g1', counting);
				expect(opened).toMatchObject({
					status: 'opened',
					created: true,
					dmStatus: 'pending',
					room: { id: 'g1', kind: 'dm', visibility: 'private', encrypted: true }
				});
				if (opened.status !== 'opened') throw new Error('not opened');
				expect([...opened.joined].sort()).toEqual(['alice', 'bob', 'carol']);
				expect(asked).toBe(1);
				expect((await storage.rooms.memberIds('g1')).sort()).toEqual(['alice', 'bob', 'carol']);
				expect(await storage.rooms.listDms('bob')).toEqual([
					{
						id: 'g1',
						other: alice,
						others: [person(alice), person(carol), person(dave, true)],
						status: 'pending'
					}
				]);
				expect(await storage.rooms.listDmRequests('dave')).toEqual([
					{ id: 'g1', other: alice, others: [person(alice), person(bob), person(carol)] }
				]);
				// The same set, whoever opens it and in whatever order: the same DM, created once.
				const again = await open(carol, [bob, dave, alice], 'g2', counting);
				expect(again).toMatchObject({ status: 'opened', created: false, room: { id: 'g1' } });
				if (again.status === 'opened') expect(again.joined).toEqual([]);
				expect(asked).toBe(1);
				expect(await storage.rooms.get('g2')).toBeNull();
				// Another set (a subset) is another DM.
				expect(await open(alice, [bob, carol], 'g3')).toMatchObject({ created: true });
				// The recipient accepts and the group has everyone.
				expect(await storage.rooms.acceptDmRequest('g1', 'dave', T0)).toMatchObject({ id: 'g1' });
				expect((await storage.rooms.memberIds('g1')).sort()).toEqual([
					'alice',
					'bob',
					'carol',
					'dave'
				]);
				expect((await storage.rooms.listDms('dave')).map((dm) => [dm.id, dm.status])).toEqual([
					['g1', 'active']
				]);
			});

			it('keeps each recipient of a group DM to their own request', async () => {
				// dave shares no room with anyone: both are asked.
				await open(dave, [alice, bob], 'g', counting);
				expect(await storage.rooms.memberIds('g')).toEqual(['dave']);
				expect((await storage.rooms.listDmRequests('alice')).map((r) => r.id)).toEqual(['g']);
				expect((await storage.rooms.listDmRequests('bob')).map((r) => r.id)).toEqual(['g']);
				expect(await storage.rooms.declineDmRequest('g', 'alice', T0)).toBe(true);
				// Bob's request stays; alice's decline refuses dave's further DMs that include her.
				expect((await storage.rooms.listDmRequests('bob')).map((r) => r.id)).toEqual(['g']);
				expect(await open(dave, [alice, bob], 'g4')).toEqual({ status: 'declined' });
				expect(await open(dave, alice, 'g5')).toEqual({ status: 'declined' });
				expect(await storage.rooms.acceptDmRequest('g', 'bob', T0)).toMatchObject({ id: 'g' });
				expect((await storage.rooms.memberIds('g')).sort()).toEqual(['bob', 'dave']);
				expect(await storage.rooms.listDms('dave')).toEqual([
					{
						id: 'g',
						other: alice,
						others: [person(alice), person(bob)],
						status: 'active'
					}
				]);
				// Alice opening the same set herself joins it and lifts her decline of dave.
				expect(await open(alice, [bob, dave], 'g6')).toMatchObject({
					created: false,
					room: { id: 'g' }
				});
				expect((await storage.rooms.memberIds('g')).sort()).toEqual(['alice', 'bob', 'dave']);
				expect((await open(dave, alice, 'g7')).status).toBe('opened');
			});

			it('creates nothing when the creation limit refuses', async () => {
				const refuse = () => ({ allowed: false as const, retryAfterSeconds: 42 });
				expect(await open(dave, alice, 'dm', refuse)).toEqual({
					status: 'refused',
					retryAfterSeconds: 42
				});
				expect(await storage.rooms.get('dm')).toBeNull();
				expect(await storage.rooms.listDms('dave')).toEqual([]);
			});
		});

		describe('files', () => {
			it('records uploads and shows them to current members of their room only', async () => {
				await users('owner', 'bob');
				await room('r', 'owner');
				const file = {
					id: 'f1',
					sha256: 'ab'.repeat(32),
					roomId: 'r',
					uploaderId: 'owner',
					name: 'cat.png',
					type: 'image/png',
					size: 3,
					createdAt: T0
				};
				await storage.files.record(file);
				expect(await storage.files.getForUser('f1', 'owner')).toEqual({ ok: true, file });
				expect(await storage.files.getForUser('f1', 'bob')).toEqual({
					ok: false,
					reason: 'not-a-member'
				});
				expect(await storage.files.getForUser('nope', 'owner')).toEqual({
					ok: false,
					reason: 'file-not-found'
				});
				expect(await storage.roomLog.roomFile('r', 'f1')).toEqual({
					name: 'cat.png',
					type: 'image/png',
					size: 3
				});
				expect(await storage.roomLog.roomFile('other', 'f1')).toBeUndefined();
			});

			it('deletes only unreferenced uploads past the cutoff, and names bytes nothing else uses', async () => {
				await users('owner');
				await room('r', 'owner');
				const upload = (id: string, sha: string, createdAt: number) =>
					storage.files.record({
						id,
						sha256: sha.repeat(64),
						roomId: 'r',
						uploaderId: 'owner',
						name: `${id}.bin`,
						type: 'application/octet-stream',
						size: 1,
						createdAt
					});
				await upload('referenced', 'a', T0);
				await upload('orphan', 'b', T0);
				await upload('same-bytes-old', 'c', T0);
				await upload('same-bytes-new', 'c', T0 + DAY_MS);
				await upload('recent', 'd', T0 + DAY_MS);
				// A stored message names 'referenced'; a file id of no upload is ignored.
				const [stored] = await storage.roomLog.commit([
					{ roomId: 'r', data: bytes(1), fileIds: ['referenced', 'no-such-upload'] }
				]);
				expect(stored?.status).toBe('stored');

				const collected = await storage.files.deleteUnreferenced(T0 + 1);
				expect(collected.deleted).toBe(2);
				expect(collected.orphaned).toEqual(['b'.repeat(64)]);
				expect(await storage.files.getForUser('orphan', 'owner')).toEqual({
					ok: false,
					reason: 'file-not-found'
				});
				expect((await storage.files.getForUser('referenced', 'owner')).ok).toBe(true);
				expect((await storage.files.getForUser('same-bytes-new', 'owner')).ok).toBe(true);
				expect((await storage.files.getForUser('recent', 'owner')).ok).toBe(true);
				expect(await storage.files.hasContent('b'.repeat(64))).toBe(false);
				expect(await storage.files.hasContent('c'.repeat(64))).toBe(true);
				expect(await storage.files.deleteUnreferenced(T0 + 1)).toEqual({
					deleted: 0,
					orphaned: []
				});
			});
		});

		describe('search', () => {
			const message = (id: string, text: string, ts: number) => ({ id, author: 'alice', text, ts });

			beforeEach(async () => {
				await users('alice', 'bob');
				await room('garden', 'alice');
				await room('attic', 'bob');
			});

			it('finds messages by word prefix in the user’s current rooms only, newest first', async () => {
				expect(await storage.search.isRoomIndexed('garden')).toBe(false);
				const written = await storage.search.writeIndex([
					{
						roomId: 'garden',
						messages: [message('m1', 'Tomatoes need sun', 1), message('m2', 'More tomatoes', 2)],
						changes: []
					},
					{ roomId: 'attic', messages: [message('m3', 'tomato box', 3)], changes: [] }
				]);
				expect(written).toEqual({ messages: 3, changes: 0 });
				expect(await storage.search.isRoomIndexed('garden')).toBe(true);
				const hits = await storage.search.searchMessages('alice', ['tomat'], 10);
				expect(hits.map((hit) => hit.messageId)).toEqual(['m2', 'm1']);
				expect(hits[0]).toEqual({
					roomId: 'garden',
					roomName: 'room garden',
					messageId: 'm2',
					author: 'alice',
					authorName: 'alice',
					text: 'More tomatoes',
					ts: 2
				});
				expect(await storage.search.searchMessages('alice', ['tomat', 'sun'], 10)).toHaveLength(1);
				expect(await storage.search.searchMessages('alice', ['tomat'], 1)).toHaveLength(1);
				expect(await storage.search.searchMessages('bob', ['tomat'], 10)).toHaveLength(1);
				await storage.rooms.addMember('garden', 'bob', T0);
				expect(await storage.search.searchMessages('bob', ['tomat'], 10)).toHaveLength(3);
				await storage.rooms.removeMember('garden', 'bob', { ban: false, now: T0 });
				expect(await storage.search.searchMessages('bob', ['tomat'], 10)).toHaveLength(1);
			});

			it('narrows a search by room, author and time range, each alone and together', async () => {
				await storage.rooms.addMember('attic', 'alice', T0);
				const by = (author: string, id: string, text: string, ts: number) => ({
					id,
					author,
					text,
					ts
				});
				await storage.search.writeIndex([
					{
						roomId: 'garden',
						messages: [
							by('alice', 'g1', 'plum jam', 100),
							by('bob', 'g2', 'plum tart', 200),
							by('alice', 'g3', 'plum cake', 300)
						],
						changes: []
					},
					{ roomId: 'attic', messages: [by('bob', 'a1', 'plum box', 250)], changes: [] }
				]);
				const ids = async (filters: Parameters<Storage['search']['searchMessages']>[3]) =>
					(await storage.search.searchMessages('alice', ['plum'], 10, filters)).map(
						(hit) => hit.messageId
					);
				expect(await ids(undefined)).toEqual(['g3', 'a1', 'g2', 'g1']);
				expect(await ids({ roomId: 'garden' })).toEqual(['g3', 'g2', 'g1']);
				expect(await ids({ author: 'bob' })).toEqual(['a1', 'g2']);
				expect(await ids({ fromTs: 200 })).toEqual(['g3', 'a1', 'g2']);
				expect(await ids({ toTs: 250 })).toEqual(['g2', 'g1']);
				expect(await ids({ fromTs: 200, toTs: 300 })).toEqual(['a1', 'g2']);
				expect(await ids({ roomId: 'garden', author: 'bob', fromTs: 150, toTs: 201 })).toEqual([
					'g2'
				]);
				expect(await ids({ roomId: 'nowhere' })).toEqual([]);
				// The author by username or display name, either ignoring case; results show the
				// display name.
				await storage.accounts.setDisplayName('bob', 'Robert');
				expect(await ids({ author: 'BOB' })).toEqual(['a1', 'g2']);
				expect(await ids({ author: 'robert' })).toEqual(['a1', 'g2']);
				expect(await ids({ author: 'Rob' })).toEqual([]);
				const [hit] = await storage.search.searchMessages('alice', ['box'], 10);
				expect(hit).toMatchObject({ author: 'bob', authorName: 'Robert' });
				// A room filter never opens a room the user is not in.
				await storage.rooms.removeMember('attic', 'alice', { ban: false, now: T0 });
				expect(await ids({ roomId: 'attic' })).toEqual([]);
			});

			it('applies a change item’s edit when not older, and a deletion for good', async () => {
				const write = (
					changes: Parameters<Storage['search']['writeIndex']>[0][number]['changes']
				) => storage.search.writeIndex([{ roomId: 'garden', messages: [], changes }]);
				await storage.search.writeIndex([
					{ roomId: 'garden', messages: [message('m1', 'first draft', 1)], changes: [] }
				]);
				const item = { client: 7, clock: 10, length: 3, messageId: 'm1' };
				expect(await write([{ ...item, change: { text: 'second draft', ts: 5 } }])).toEqual({
					messages: 0,
					changes: 1
				});
				expect(await write([{ ...item, change: { text: 'older edit', ts: 4 } }])).toEqual({
					messages: 0,
					changes: 0
				});
				const texts = async (term: string) =>
					(await storage.search.searchMessages('alice', [term], 10)).map((h) => h.text);
				expect(await texts('draft')).toEqual(['second draft']);
				expect(await storage.search.findChangeItemKey('garden', 7, 12)).toBe('m1');
				expect(await storage.search.findChangeItemKey('garden', 7, 13)).toBeNull();
				expect(await storage.search.findChangeItemKey('garden', 8, 10)).toBeNull();
				expect(await storage.search.findChangeItemKey('attic', 7, 10)).toBeNull();
				await write([{ ...item, clock: 20, change: { deleted: true, ts: 6 } }]);
				await write([{ ...item, clock: 30, change: { text: 'back again', ts: 7 } }]);
				expect(await texts('draft')).toEqual([]);
				expect(await texts('back')).toEqual([]);
				// A message indexed again keeps what the index holds.
				await storage.search.writeIndex([
					{ roomId: 'garden', messages: [message('m1', 'first draft', 1)], changes: [] }
				]);
				expect(await texts('draft')).toEqual([]);
			});

			it('rebuilds a room’s index from scratch', async () => {
				await storage.search.writeIndex([
					{
						roomId: 'garden',
						messages: [message('old', 'stale words', 1)],
						changes: [{ client: 1, clock: 0, length: 1, messageId: 'old', change: null }]
					}
				]);
				await storage.search.rebuildRoom({
					roomId: 'garden',
					messages: [message('new', 'fresh words', 2)],
					changes: [{ client: 2, clock: 0, length: 1, messageId: 'new', change: null }]
				});
				const hits = await storage.search.searchMessages('alice', ['words'], 10);
				expect(hits.map((hit) => hit.messageId)).toEqual(['new']);
				expect(await storage.search.findChangeItemKey('garden', 1, 0)).toBeNull();
				expect(await storage.search.findChangeItemKey('garden', 2, 0)).toBe('new');
			});

			it('answers plain text for search operators, or a SearchQueryError, never other errors', async () => {
				await storage.search.writeIndex([
					{ roomId: 'garden', messages: [message('m', 'NEAR(b OR c', 1)], changes: [] }
				]);
				for (const terms of [['NEAR(b'], ['OR'], ['*'], ['^'], ['"']]) {
					try {
						const hits = await storage.search.searchMessages('alice', terms, 10);
						expect(Array.isArray(hits)).toBe(true);
					} catch (error) {
						expect(error).toBeInstanceOf(SearchQueryError);
					}
				}
				expect(await storage.search.searchMessages('alice', ['near(b'], 10)).toHaveLength(1);
			});
		});

		describe('summaries', () => {
			const by = (author: string, id: string, text: string, ts: number) => ({
				id,
				author,
				text,
				ts
			});

			beforeEach(async () => {
				await users('alice', 'bob', 'carol');
				await room('garden', 'alice');
				await storage.rooms.addMember('garden', 'bob', T0);
				await room('attic', 'carol');
				await storage.search.writeIndex([
					{
						roomId: 'garden',
						messages: [
							by('alice', 'm1', 'hello', 1),
							by('bob', 'm2', 'hi @Alice!', 2),
							by('bob', 'm3', 'still there?', 3),
							by('alice', 'm4', 'yes', 4),
							by('bob', 'm5', 'ping @alicex', 5)
						],
						changes: []
					},
					{ roomId: 'attic', messages: [by('carol', 'm9', 'secret', 9)], changes: [] }
				]);
			});

			it('lists only the user’s current rooms, each with its last message and unread counts', async () => {
				const rooms = await storage.summaries.ofUser('alice', 'alice');
				expect(rooms.map((r) => r.id)).toEqual(['garden']);
				const garden = rooms[0];
				expect(garden?.last).toEqual({
					id: 'm5',
					author: 'bob',
					authorName: 'bob',
					text: 'ping @alicex',
					ts: 5,
					deleted: false
				});
				expect(garden?.kind).toBe('room');
				// No read mark: every message by others is unread.
				expect(garden?.unread).toBe(3);
				expect([...(garden?.mentionCandidates ?? [])].sort()).toEqual([
					'hi @Alice!',
					'ping @alicex'
				]);
				expect(await storage.summaries.ofRoom('attic', 'alice', 'alice')).toBeNull();
				await storage.rooms.removeMember('garden', 'bob', { ban: false, now: T0 });
				expect(await storage.summaries.ofUser('bob', 'bob')).toEqual([]);
			});

			it('names the last message’s author and a DM’s people by their display names, else usernames', async () => {
				expect((await storage.summaries.ofRoom('garden', 'alice', 'alice'))?.others).toEqual([]);
				await storage.accounts.setDisplayName('bob', 'Bobby Tables');
				const garden = await storage.summaries.ofRoom('garden', 'alice', 'alice');
				expect(garden?.last).toMatchObject({ author: 'bob', authorName: 'Bobby Tables' });
				// A group DM of the three (carol's request still pending): each sees the two others.
				const people = ['alice', 'bob', 'carol'].map((id) => ({ id, username: id }));
				const [alice, bob, carol] = people as [User, User, User];
				await storage.rooms.openDm({
					me: alice,
					others: [bob, carol],
					key: 'alice:bob:carol',
					roomId: 'group',
					name: 'alice, bob & carol',
					now: T0,
					admit: () => ({ allowed: true as const })
				});
				await storage.search.writeIndex([
					{ roomId: 'group', messages: [by('bob', 'g1', 'hey all', 10)], changes: [] }
				]);
				const dms = (await storage.summaries.ofUser('alice', 'alice')).filter(
					(room) => room.kind === 'dm'
				);
				expect(dms).toHaveLength(1);
				expect(dms[0]?.others).toEqual([
					{ id: 'bob', username: 'bob', displayName: 'Bobby Tables' },
					{ id: 'carol', username: 'carol', displayName: '' }
				]);
				expect(dms[0]?.last?.authorName).toBe('Bobby Tables');
				// Cleared: the username again.
				await storage.accounts.setDisplayName('bob', '');
				const group = await storage.summaries.ofRoom('group', 'alice', 'alice');
				expect(group?.last?.authorName).toBe('bob');
				expect(group?.others[0]).toEqual({ id: 'bob', username: 'bob', displayName: '' });
			});

			it('counts after the latest read mark; a mark not indexed yet counts as read to the end', async () => {
				await storage.summaries.recordReadMarks([
					{ roomId: 'garden', userId: 'alice', upTo: 'm3', ts: 10 }
				]);
				expect((await storage.summaries.ofRoom('garden', 'alice', 'alice'))?.unread).toBe(1);
				// An older mark never replaces a newer one.
				await storage.summaries.recordReadMarks([
					{ roomId: 'garden', userId: 'alice', upTo: 'm1', ts: 9 }
				]);
				const after = await storage.summaries.ofRoom('garden', 'alice', 'alice');
				expect(after?.unread).toBe(1);
				expect(after?.mentionCandidates).toEqual(['ping @alicex']);
				await storage.summaries.recordReadMarks([
					{ roomId: 'garden', userId: 'alice', upTo: 'not-indexed', ts: 11 },
					{ roomId: 'gone', userId: 'alice', upTo: 'm1', ts: 11 }
				]);
				expect((await storage.summaries.ofRoom('garden', 'alice', 'alice'))?.unread).toBe(0);
				// Bob's own messages never count for him.
				expect((await storage.summaries.ofRoom('garden', 'bob', 'bob'))?.unread).toBe(2);
			});

			it('hands back unread texts with "@room" or "@here" as mention candidates for everyone', async () => {
				await storage.search.writeIndex([
					{
						roomId: 'garden',
						messages: [
							by('bob', 'm6', 'lunch @HERE?', 6),
							by('bob', 'm7', 'all of @room', 7),
							by('alice', 'm8', 'mine @room', 8)
						],
						changes: []
					}
				]);
				const forAlice = await storage.summaries.ofRoom('garden', 'alice', 'alice');
				expect([...(forAlice?.mentionCandidates ?? [])].sort()).toEqual([
					'all of @room',
					'hi @Alice!',
					'lunch @HERE?',
					'ping @alicex'
				]);
				const forBob = await storage.summaries.ofRoom('garden', 'bob', 'bob');
				expect(forBob?.mentionCandidates).toEqual(['mine @room']);
			});

			it('keeps notification levels per room and member, and a default per user', async () => {
				expect(await storage.summaries.defaultLevelOf('alice')).toBe('all');
				await storage.summaries.setDefaultLevel('alice', 'mentions');
				await storage.summaries.setDefaultLevel('alice', 'nothing');
				expect(await storage.summaries.defaultLevelOf('alice')).toBe('nothing');
				expect(await storage.summaries.defaultLevelOf('bob')).toBe('all');

				expect((await storage.summaries.ofRoom('garden', 'alice', 'alice'))?.level).toBeNull();
				expect(await storage.summaries.setRoomLevel('garden', 'alice', 'mentions')).toBe(true);
				expect(await storage.summaries.setRoomLevel('garden', 'alice', 'nothing')).toBe(true);
				expect((await storage.summaries.ofRoom('garden', 'alice', 'alice'))?.level).toBe('nothing');
				expect((await storage.summaries.ofUser('alice', 'alice'))[0]?.level).toBe('nothing');
				// Bob's level is his own; a non-member sets nothing.
				expect((await storage.summaries.ofRoom('garden', 'bob', 'bob'))?.level).toBeNull();
				expect(await storage.summaries.setRoomLevel('attic', 'alice', 'all')).toBe(false);
				expect(await storage.summaries.setRoomLevel('attic', 'alice', null)).toBe(false);
				expect((await storage.summaries.ofRoom('attic', 'carol', 'carol'))?.level).toBeNull();
				// Back to the default.
				expect(await storage.summaries.setRoomLevel('garden', 'alice', null)).toBe(true);
				expect((await storage.summaries.ofRoom('garden', 'alice', 'alice'))?.level).toBeNull();
			});

			it('keeps one delivery mark per member that only moves forward, for members only', async () => {
				const mark = (userId: string, upTo: string, seq: number, ts: number) => ({
					roomId: 'garden',
					userId,
					upTo,
					seq,
					ts
				});
				expect(
					await storage.summaries.recordDeliveries([
						mark('bob', 'm3', 3, 30),
						mark('alice', 'm2', 2, 20)
					])
				).toEqual([mark('bob', 'm3', 3, 30), mark('alice', 'm2', 2, 20)]);
				// A smaller or equal seq never replaces a mark (and is not answered); a larger one does.
				expect(
					await storage.summaries.recordDeliveries([
						mark('bob', 'm1', 1, 40),
						mark('bob', 'm2', 3, 41)
					])
				).toEqual([]);
				expect(await storage.summaries.deliveriesOf('garden')).toEqual([
					mark('alice', 'm2', 2, 20),
					mark('bob', 'm3', 3, 30)
				]);
				await storage.summaries.recordDeliveries([mark('bob', 'm5', 5, 50)]);
				// Carol is not a member of the garden; the attic is not Alice's.
				expect(
					await storage.summaries.recordDeliveries([
						mark('carol', 'm5', 5, 50),
						{ roomId: 'attic', userId: 'alice', upTo: 'm9', seq: 9, ts: 90 },
						{ roomId: 'gone', userId: 'alice', upTo: 'm9', seq: 9, ts: 90 }
					])
				).toEqual([]);
				expect(await storage.summaries.deliveriesOf('garden')).toEqual([
					mark('alice', 'm2', 2, 20),
					mark('bob', 'm5', 5, 50)
				]);
				expect(await storage.summaries.deliveriesOf('attic')).toEqual([]);
				// A removed member's mark is no longer listed.
				await storage.rooms.removeMember('garden', 'bob', { ban: false, now: T0 });
				expect(await storage.summaries.deliveriesOf('garden')).toEqual([
					mark('alice', 'm2', 2, 20)
				]);
			});
		});

		describe('the room log', () => {
			let roomA: string;
			let roomB: string;

			beforeEach(async () => {
				await users('u1', 'u2');
				roomA = await room('A', 'u1');
				roomB = await room('B', 'u1');
			});

			const stored = (outcomes: { status: string; seq?: number }[]) =>
				outcomes.map((o) => (o.status === 'stored' ? o.seq : o.status));

			async function write(roomId: string, doc: Y.Doc, count: number, prefix: string) {
				for (let i = 0; i < count; i++) {
					await storage.roomLog.commit([
						{ roomId, data: messageUpdate(doc, 'u1', `${prefix}${i}`) }
					]);
				}
			}

			async function headDoc(roomId: string): Promise<Y.Doc> {
				const doc = new Y.Doc();
				for (const update of (await storage.roomLog.load(roomId)).updates)
					Y.applyUpdate(doc, update);
				return doc;
			}

			/** All the interface tells of a room, to compare before and after. */
			async function roomState(roomId: string): Promise<unknown> {
				const loaded = await storage.roomLog.load(roomId);
				const vectors = [];
				for (let e = 0; e <= loaded.epoch; e++) {
					vectors.push(await storage.history.sealedStateVector(roomId, e));
				}
				return {
					loaded,
					since: await storage.roomLog.readSince(roomId, 0),
					segments: await storage.history.segments(roomId),
					vectors
				};
			}

			it('loads an empty room, and refuses a room that does not exist', async () => {
				expect(await storage.roomLog.load(roomA)).toEqual({
					updates: [],
					seq: 0,
					epoch: 0,
					logLength: 0,
					owners: new Map(),
					highWater: new Map()
				});
				await expect(storage.roomLog.load('nosuchroom')).rejects.toThrow(UnknownRoomError);
			});

			it('numbers each room’s updates 1, 2, 3 without gaps, across batches', async () => {
				const docA = new Y.Doc();
				const first = await storage.roomLog.commit([
					{ roomId: roomA, data: messageUpdate(docA, 'u1', 'a1') },
					{ roomId: roomB, data: messageUpdate(new Y.Doc(), 'u1', 'b1') },
					{ roomId: roomA, data: messageUpdate(docA, 'u1', 'a2') }
				]);
				const second = await storage.roomLog.commit([
					{ roomId: roomA, data: messageUpdate(docA, 'u1', 'a3') }
				]);
				expect(stored(first)).toEqual([1, 1, 2]);
				expect(stored(second)).toEqual([3]);
				expect(await storage.roomLog.commit([])).toEqual([]);
				const loaded = await storage.roomLog.load(roomA);
				expect(loaded).toMatchObject({ seq: 3, logLength: 3 });
				expect((await storage.roomLog.load(roomB)).seq).toBe(1);
				expect(messageTexts(loaded.updates)).toEqual(['a1', 'a2', 'a3']);
				expect(first[0]).toMatchObject({ status: 'stored', seq: 1 });
			});

			it('stores nothing of a batch when any part of it fails, claims and marks included', async () => {
				const doc = new Y.Doc();
				await storage.roomLog.commit([{ roomId: roomA, data: messageUpdate(doc, 'u1', 'kept') }]);
				await expect(
					storage.roomLog.commit([
						{
							roomId: roomA,
							data: messageUpdate(new Y.Doc(), 'u1', 'lost'),
							userId: 'u1',
							claims: [7],
							clocks: new Map([[7, 9]])
						},
						{ roomId: 'nosuchroom', data: messageUpdate(new Y.Doc(), 'u1', 'bad') }
					])
				).rejects.toThrow(UnknownRoomError);
				const loaded = await storage.roomLog.load(roomA);
				expect(loaded.seq).toBe(1);
				expect(messageTexts(loaded.updates)).toEqual(['kept']);
				expect(loaded.owners).toEqual(new Map());
				expect(loaded.highWater).toEqual(new Map());
				const next = await storage.roomLog.commit([
					{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', 'next') }
				]);
				expect(stored(next)).toEqual([2]);
			});

			it('records an update’s clientID claims and raises their marks in its commit', async () => {
				const outcomes = await storage.roomLog.commit([
					{
						roomId: roomA,
						data: bytes(0, 0),
						userId: 'u1',
						claims: [7, 8],
						clocks: new Map([
							[7, 5],
							[8, 2],
							// Not claimed: no mark.
							[9, 4]
						])
					},
					{ roomId: roomA, data: bytes(0, 0), clocks: new Map([[7, 3]]) }
				]);
				expect(stored(outcomes)).toEqual([1, 2]);
				const loaded = await storage.roomLog.load(roomA);
				expect(loaded.owners).toEqual(
					new Map([
						[7, 'u1'],
						[8, 'u1']
					])
				);
				// A mark only ever rises.
				expect(loaded.highWater).toEqual(
					new Map([
						[7, 5],
						[8, 2]
					])
				);
				expect((await storage.roomLog.load(roomB)).owners).toEqual(new Map());
			});

			it('refuses an update writing with another user’s clientID, storing nothing of it', async () => {
				expect(await storage.roomLog.claim(roomA, 7, 'u2')).toBe('u2');
				expect(await storage.roomLog.claim(roomA, 7, 'u1')).toBe('u2');
				const outcomes = await storage.roomLog.commit([
					{
						roomId: roomA,
						data: bytes(0, 0),
						userId: 'u1',
						claims: [7],
						clocks: new Map([[7, 5]])
					},
					{ roomId: roomA, data: bytes(0, 0), userId: 'u2', claims: [7], clocks: new Map([[7, 1]]) }
				]);
				expect(outcomes[0]).toEqual({ status: 'claimed', clientId: 7, owner: 'u2' });
				expect(outcomes[1]).toMatchObject({ status: 'stored', seq: 1 });
				const loaded = await storage.roomLog.load(roomA);
				expect(loaded.seq).toBe(1);
				expect(loaded.highWater).toEqual(new Map([[7, 1]]));
				expect(loaded.owners).toEqual(new Map([[7, 'u2']]));
			});

			it('raises marks that lag behind what a loaded room holds, for claimed clientIDs only', async () => {
				await storage.roomLog.claim(roomA, 7, 'u1');
				await storage.roomLog.commit([
					{ roomId: roomA, data: bytes(0, 0), clocks: new Map([[7, 2]]) }
				]);
				const marks = await storage.roomLog.raiseHighWaterToState(
					roomA,
					new Map([
						[7, 6],
						[9, 3]
					])
				);
				expect(marks).toEqual(new Map([[7, 6]]));
				expect((await storage.roomLog.load(roomA)).highWater).toEqual(new Map([[7, 6]]));
				expect(await storage.roomLog.raiseHighWaterToState(roomA, new Map([[7, 1]]))).toEqual(
					new Map([[7, 6]])
				);
			});

			it('never lowers a mark in a later commit, and keeps owners and marks when the log is compacted away', async () => {
				await storage.roomLog.commit([
					{ roomId: roomA, data: bytes(0, 0), userId: 'u1', claims: [7], clocks: new Map([[7, 5]]) }
				]);
				await storage.roomLog.commit([
					{ roomId: roomA, data: bytes(0, 0), userId: 'u2', claims: [8], clocks: new Map([[8, 2]]) }
				]);
				await storage.roomLog.commit([
					{
						roomId: roomA,
						data: bytes(0, 0),
						clocks: new Map([
							[7, 3],
							[8, 4]
						])
					}
				]);
				await storage.roomLog.compact(roomA, 3, Y.encodeStateAsUpdate(new Y.Doc()));
				const loaded = await storage.roomLog.load(roomA);
				expect(loaded.logLength).toBe(0);
				expect(loaded.owners).toEqual(
					new Map([
						[7, 'u1'],
						[8, 'u2']
					])
				);
				expect(loaded.highWater).toEqual(
					new Map([
						[7, 5],
						[8, 4]
					])
				);
			});

			it('reads the log after a given seq, with the room’s epoch', async () => {
				for (const text of ['1', '2', '3', '4']) {
					await storage.roomLog.commit([
						{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', text) }
					]);
				}
				const since = (await storage.roomLog.readSince(roomA, 2)).updates;
				expect(since.map((u) => u.seq)).toEqual([3, 4]);
				expect(messageTexts(since.map((u) => u.data)).sort()).toEqual(['3', '4']);
				expect(await storage.roomLog.readSince(roomA, 4)).toEqual({ epoch: 0, updates: [] });
			});

			it('after compaction loads the same document and serves the snapshot to readers behind it', async () => {
				const doc = new Y.Doc();
				await write(roomA, doc, 3, '');
				await storage.roomLog.compact(roomA, 3, Y.encodeStateAsUpdate(doc));
				await storage.roomLog.commit([{ roomId: roomA, data: messageUpdate(doc, 'u1', '3') }]);
				expect(await storage.roomLog.logLength(roomA)).toBe(1);
				const loaded = await storage.roomLog.load(roomA);
				expect(loaded).toMatchObject({ seq: 4, logLength: 1 });
				expect(messageTexts(loaded.updates)).toEqual(['0', '1', '2', '3']);
				const behind = (await storage.roomLog.readSince(roomA, 1)).updates;
				expect(behind.map((u) => u.seq)).toEqual([3, 4]);
				expect(messageTexts(behind.map((u) => u.data))).toEqual(['0', '1', '2', '3']);
				expect((await storage.roomLog.readSince(roomA, 3)).updates.map((u) => u.seq)).toEqual([4]);
			});

			it('never moves a snapshot backwards', async () => {
				const doc = new Y.Doc();
				await write(roomA, doc, 2, '');
				await storage.roomLog.compact(roomA, 2, Y.encodeStateAsUpdate(doc));
				await storage.roomLog.compact(roomA, 1, bytes(0, 0));
				expect(messageTexts((await storage.roomLog.load(roomA)).updates)).toEqual(['0', '1']);
			});

			it('keeps seqs unique and gapless when two instances commit interleaved', async () => {
				const other = await under.openSecond();
				try {
					const seqs: number[] = [];
					const writes: Promise<void>[] = [];
					for (let i = 0; i < 50; i++) {
						const writer = i % 3 === 0 ? other : storage;
						writes.push(
							writer.roomLog
								.commit([
									{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', `m${i}`) },
									{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', `n${i}`) }
								])
								.then((outcomes) => {
									for (const o of outcomes) if (o.status === 'stored') seqs.push(o.seq);
								})
						);
					}
					await Promise.all(writes);
					expect([...seqs].sort((a, b) => a - b)).toEqual(
						Array.from({ length: 100 }, (_, i) => i + 1)
					);
					expect((await other.roomLog.load(roomA)).seq).toBe(100);
					const read = (await storage.roomLog.readSince(roomA, 0)).updates.map((u) => u.seq);
					expect(read).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
				} finally {
					await other.close();
				}
			});

			it('seals: segments, ids, the epoch and the new head as the only state, in one go', async () => {
				const doc = new Y.Doc();
				await write(roomA, doc, 5, 'a');
				const firstId = doc.getArray<{ id: string }>('messages').get(0).id;
				doc.getMap('changes').set(firstId, { text: 'edited', ts: 9 });
				const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(await headDoc(roomA)));
				await storage.roomLog.commit([
					{ roomId: roomA, data: update, userId: 'u1', claims: [doc.clientID] }
				]);
				await storage.roomLog.compact(roomA, 3, Y.encodeStateAsUpdate(await headDoc(roomA)));
				await storage.roomLog.claim(roomB, 77, 'u1');
				expect(await storage.roomLog.load(roomA)).toMatchObject({ seq: 6, epoch: 0 });

				const seal = buildSeal(await headDoc(roomA), 2);
				expect(await storage.roomLog.seal(roomA, { epoch: 0, lastSeq: 6 }, seal)).toBe(1);

				const segments = await storage.history.segments(roomA);
				expect(segments.map((s) => [s.n, s.epoch, s.count])).toEqual([
					[0, 0, 2],
					[1, 0, 2],
					[2, 0, 1]
				]);
				const texts = [];
				for (const s of segments) {
					const stored = await storage.history.segment(roomA, s.n);
					expect(stored).toMatchObject({ n: s.n, epoch: 0 });
					texts.push(
						...(JSON.parse(gunzipSync(stored?.gzip ?? bytes()).toString()) as { text: string }[])
					);
				}
				expect(texts.map((m) => m.text)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
				expect(await storage.history.segment(roomA, 3)).toBeNull();
				expect(new Uint8Array((await storage.history.sealedStateVector(roomA, 0)) ?? [])).toEqual(
					seal.stateVector
				);
				expect(await storage.history.sealedStateVector(roomA, 1)).toBeNull();
				expect(await storage.history.headEpoch(roomA)).toBe(1);
				expect(await storage.history.headEpoch('nosuchroom')).toBeNull();
				expect((await storage.rooms.get(roomA))?.epoch).toBe(1);

				const loaded = await storage.roomLog.load(roomA);
				expect(loaded).toMatchObject({ seq: 7, epoch: 1, logLength: 0 });
				expect(loaded.updates.map((u) => new Uint8Array(u))).toEqual([seal.head]);
				// clientIDs are claimed per head; other rooms keep theirs.
				expect(loaded.owners).toEqual(new Map());
				expect(loaded.highWater).toEqual(new Map());
				expect((await storage.roomLog.load(roomB)).owners).toEqual(new Map([[77, 'u1']]));

				const head = await headDoc(roomA);
				expect(head.getArray('messages').length).toBe(0);
				expect(head.getMap('changes').get(firstId)).toEqual({ text: 'edited', ts: 9 });
				expect(await storage.roomLog.sealedAuthorOf(roomA, firstId)).toBe('u1');
				expect(await storage.roomLog.sealedAuthorOf(roomB, firstId)).toBeUndefined();
				// The log goes on after the head's snapshot.
				const next = await storage.roomLog.commit([
					{ roomId: roomA, data: messageUpdate(head, 'u1', 'b0'), epoch: 1 }
				]);
				expect(stored(next)).toEqual([8]);
				expect(messageTexts((await storage.roomLog.load(roomA)).updates)).toEqual(['b0']);
			});

			it('numbers segments on after the room’s earlier epochs', async () => {
				await write(roomA, new Y.Doc(), 3, 'a');
				const first = buildSeal(await headDoc(roomA), 2);
				expect(await storage.roomLog.seal(roomA, { epoch: 0, lastSeq: 3 }, first)).toBe(1);
				await write(roomA, await headDoc(roomA), 3, 'b');
				const second = buildSeal(await headDoc(roomA), 2);
				expect(await storage.roomLog.seal(roomA, { epoch: 1, lastSeq: 7 }, second)).toBe(2);
				expect(
					(await storage.history.segments(roomA)).map(({ n, epoch, count }) => ({
						n,
						epoch,
						count
					}))
				).toEqual([
					{ n: 0, epoch: 0, count: 2 },
					{ n: 1, epoch: 0, count: 1 },
					{ n: 2, epoch: 1, count: 2 },
					{ n: 3, epoch: 1, count: 1 }
				]);
				expect(await storage.roomLog.load(roomA)).toMatchObject({ seq: 8, epoch: 2 });
			});

			it('tells when the room was last sealed, for the minimum interval between seals', async () => {
				await write(roomA, new Y.Doc(), 3, 'a');
				expect((await storage.roomLog.load(roomA)).sealedAtMs).toBeUndefined();
				const before = Date.now();
				const first = buildSeal(await headDoc(roomA), 2);
				expect(await storage.roomLog.seal(roomA, { epoch: 0, lastSeq: 3 }, first)).toBe(1);
				const firstAt = (await storage.roomLog.load(roomA)).sealedAtMs;
				expect(firstAt).toBeGreaterThanOrEqual(before);
				expect(firstAt).toBeLessThanOrEqual(Date.now());
				await write(roomA, await headDoc(roomA), 3, 'b');
				const second = buildSeal(await headDoc(roomA), 2);
				expect(await storage.roomLog.seal(roomA, { epoch: 1, lastSeq: 7 }, second)).toBe(2);
				expect((await storage.roomLog.load(roomA)).sealedAtMs).toBeGreaterThanOrEqual(firstAt ?? 0);
				// Another room's seals are not this room's.
				expect((await storage.roomLog.load(roomB)).sealedAtMs).toBeUndefined();
			});

			it('seals nothing and answers null when the epoch or the log moved on', async () => {
				const doc = new Y.Doc();
				await write(roomA, doc, 3, 'a');
				await storage.roomLog.claim(roomA, doc.clientID, 'u1');
				const seal = buildSeal(await headDoc(roomA), 2);
				const before = await roomState(roomA);
				// Another instance sealed first (epoch), or committed since this doc was read (seq).
				expect(await storage.roomLog.seal(roomA, { epoch: 1, lastSeq: 3 }, seal)).toBeNull();
				expect(await storage.roomLog.seal(roomA, { epoch: 0, lastSeq: 2 }, seal)).toBeNull();
				expect(await roomState(roomA)).toEqual(before);
				await expect(
					storage.roomLog.seal('nosuchroom', { epoch: 0, lastSeq: 0 }, seal)
				).rejects.toThrow(UnknownRoomError);
			});

			it('stores nothing of an update gated against a sealed head, and commits the other rooms', async () => {
				const doc = new Y.Doc();
				await write(roomA, doc, 2, 'a');
				const seal = buildSeal(await headDoc(roomA), 5);
				expect(await storage.roomLog.seal(roomA, { epoch: 0, lastSeq: 2 }, seal)).toBe(1);
				const before = await roomState(roomA);
				const outcomes = await storage.roomLog.commit([
					{
						roomId: roomA,
						data: messageUpdate(doc, 'u1', 'late'),
						epoch: 0,
						userId: 'u1',
						claims: [doc.clientID],
						clocks: new Map([[doc.clientID, 99]])
					},
					{ roomId: roomB, data: messageUpdate(new Y.Doc(), 'u1', 'b'), epoch: 0 },
					{ roomId: roomA, data: messageUpdate(doc, 'u1', 'later'), epoch: 0 }
				]);
				expect(stored(outcomes)).toEqual(['stale-epoch', 1, 'stale-epoch']);
				expect(await roomState(roomA)).toEqual(before);
				expect(messageTexts((await storage.roomLog.load(roomB)).updates)).toEqual(['b']);
				// The right epoch (or none: no check) commits.
				const right = await storage.roomLog.commit([
					{ roomId: roomA, data: messageUpdate(new Y.Doc(), 'u1', 'c'), epoch: 1 }
				]);
				expect(stored(right)).toEqual([4]);
			});

			it('tells a reader behind a seal the new epoch along with the new head', async () => {
				await write(roomA, new Y.Doc(), 2, 'a');
				expect((await storage.roomLog.readSince(roomA, 1)).epoch).toBe(0);
				const seal = buildSeal(await headDoc(roomA), 5);
				await storage.roomLog.seal(roomA, { epoch: 0, lastSeq: 2 }, seal);
				const log = await storage.roomLog.readSince(roomA, 1);
				expect(log.epoch).toBe(1);
				expect(log.updates.map((u) => ({ seq: u.seq, data: new Uint8Array(u.data) }))).toEqual([
					{ seq: 3, data: seal.head }
				]);
			});

			it('does not compact a head sealed meanwhile', async () => {
				await write(roomA, new Y.Doc(), 2, 'a');
				const stale = Y.encodeStateAsUpdate(await headDoc(roomA));
				await storage.roomLog.seal(
					roomA,
					{ epoch: 0, lastSeq: 2 },
					buildSeal(await headDoc(roomA), 5)
				);
				const before = await roomState(roomA);
				await storage.roomLog.compact(roomA, 5, stale, 0);
				expect(await roomState(roomA)).toEqual(before);
			});
		});
	});
}
