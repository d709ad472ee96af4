/**
 * Who may join, add and remove whom. Each operation returns a result union; the HTTP layer
 * maps the failure reasons to statuses. Removing a member tells the sync server (through
 * the process events) so it closes that user's live sockets for the room. Removal by the owner
 * bans (room_bans) until an invite, the owner adding them again, or an unban.
 */
import type { EventEmitter } from 'node:events';
import type { Db } from './db';
import { getEvents, type MembershipRevoked } from './events';
import { getMembership, getRoom, type Role, type Room } from './rooms';
import { findUserByUsername } from './users';

export type MembershipFailure =
	| 'room-not-found'
	| 'not-a-member'
	| 'forbidden'
	| 'user-not-found'
	| 'already-member'
	| 'owner-cannot-leave'
	| 'direct-message'
	| 'banned'
	| 'not-banned';

export type MembershipResult<T> =
	| { readonly ok: true; readonly value: T }
	| { readonly ok: false; readonly reason: MembershipFailure };

export interface Member {
	readonly id: string;
	readonly username: string;
	readonly role: Role;
}

type Events = Pick<EventEmitter<{ 'membership-revoked': [MembershipRevoked] }>, 'emit'>;

function failure<T>(reason: MembershipFailure): MembershipResult<T> {
	return { ok: false, reason };
}

/** Makes the user a member; being let in (invite, owner) also lifts a ban. */
export function insertMember(db: Db, roomId: string, userId: string, now: number): void {
	db.transaction(() => {
		db.prepare(
			"INSERT OR IGNORE INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)"
		).run(roomId, userId, now);
		db.prepare('DELETE FROM room_bans WHERE room_id = ? AND user_id = ?').run(roomId, userId);
	})();
}

function isBanned(db: Db, roomId: string, userId: string): boolean {
	return (
		db.prepare('SELECT 1 FROM room_bans WHERE room_id = ? AND user_id = ?').get(roomId, userId) !==
		undefined
	);
}

/** Joins a public room. Joining twice is fine; private rooms are by invitation only. */
export function joinRoom(
	db: Db,
	roomId: string,
	userId: string,
	now: number = Date.now()
): MembershipResult<Room> {
	const room = getRoom(db, roomId);
	if (!room) return failure('room-not-found');
	if (getMembership(db, roomId, userId)) return { ok: true, value: room };
	if (room.visibility !== 'public') return failure('forbidden');
	if (isBanned(db, roomId, userId)) return failure('banned');
	insertMember(db, roomId, userId, now);
	return { ok: true, value: room };
}

/** The room's members (owner first, then by name), visible to members only. */
export function listMembers(db: Db, roomId: string, viewerId: string): MembershipResult<Member[]> {
	if (!getRoom(db, roomId)) return failure('room-not-found');
	if (!getMembership(db, roomId, viewerId)) return failure('not-a-member');
	const members = db
		.prepare(
			`SELECT u.id, u.username, m.role FROM memberships m JOIN users u ON u.id = m.user_id
			 WHERE m.room_id = ? ORDER BY m.role = 'owner' DESC, u.username COLLATE NOCASE`
		)
		.all(roomId) as Member[];
	return { ok: true, value: members };
}

/** The owner adds a user by name. */
export function addMember(
	db: Db,
	roomId: string,
	actorId: string,
	username: string,
	now: number = Date.now()
): MembershipResult<Member> {
	const room = getRoom(db, roomId);
	if (!room) return failure('room-not-found');
	const actorRole = getMembership(db, roomId, actorId);
	if (!actorRole) return failure('not-a-member');
	if (room.kind === 'dm') return failure('direct-message');
	if (actorRole !== 'owner') return failure('forbidden');
	const user = findUserByUsername(db, username);
	if (!user) return failure('user-not-found');
	if (getMembership(db, roomId, user.id)) return failure('already-member');
	insertMember(db, roomId, user.id, now);
	return { ok: true, value: { id: user.id, username: user.username, role: 'member' } };
}

/**
 * The owner removes anyone but themselves; a member may remove themselves (leave).
 * The owner cannot leave: a room without an owner could never be managed again.
 * Nobody leaves a DM: it is the conversation of exactly those two people.
 */
export function removeMember(
	db: Db,
	roomId: string,
	actorId: string,
	targetId: string,
	events: Events = getEvents(),
	now: number = Date.now()
): MembershipResult<null> {
	const room = getRoom(db, roomId);
	if (!room) return failure('room-not-found');
	const actorRole = getMembership(db, roomId, actorId);
	if (!actorRole) return failure('not-a-member');
	if (room.kind === 'dm') return failure('direct-message');
	if (actorId === targetId) {
		if (actorRole === 'owner') return failure('owner-cannot-leave');
	} else if (actorRole !== 'owner') {
		return failure('forbidden');
	}
	const remove = db.transaction((): boolean => {
		const removed = db
			.prepare('DELETE FROM memberships WHERE room_id = ? AND user_id = ?')
			.run(roomId, targetId);
		if (removed.changes === 0) return false;
		// Leaving is not a ban; removal by the owner is.
		if (actorId !== targetId) {
			db.prepare(
				'INSERT OR REPLACE INTO room_bans (room_id, user_id, banned_at) VALUES (?, ?, ?)'
			).run(roomId, targetId, now);
		}
		return true;
	});
	if (!remove()) return failure('user-not-found');
	events.emit('membership-revoked', { roomId, userId: targetId });
	return { ok: true, value: null };
}

export interface BannedUser {
	readonly id: string;
	readonly username: string;
	readonly bannedAt: number;
}

/** The owner's checks for the ban list: the room exists, is a room, and the actor owns it. */
function checkOwner(db: Db, roomId: string, actorId: string): MembershipFailure | null {
	const room = getRoom(db, roomId);
	if (!room) return 'room-not-found';
	const role = getMembership(db, roomId, actorId);
	if (!role) return 'not-a-member';
	if (room.kind === 'dm') return 'direct-message';
	return role === 'owner' ? null : 'forbidden';
}

/** The users the owner removed, by name (owner only). */
export function listBans(db: Db, roomId: string, actorId: string): MembershipResult<BannedUser[]> {
	const refused = checkOwner(db, roomId, actorId);
	if (refused) return failure(refused);
	const bans = db
		.prepare(
			`SELECT u.id, u.username, b.banned_at AS bannedAt FROM room_bans b
			 JOIN users u ON u.id = b.user_id
			 WHERE b.room_id = ? ORDER BY u.username COLLATE NOCASE`
		)
		.all(roomId) as BannedUser[];
	return { ok: true, value: bans };
}

/** The owner lifts a ban: the user may join (a public room) again. */
export function unbanUser(
	db: Db,
	roomId: string,
	actorId: string,
	targetId: string
): MembershipResult<null> {
	const refused = checkOwner(db, roomId, actorId);
	if (refused) return failure(refused);
	const deleted = db
		.prepare('DELETE FROM room_bans WHERE room_id = ? AND user_id = ?')
		.run(roomId, targetId);
	return deleted.changes === 0 ? failure('not-banned') : { ok: true, value: null };
}
