/**
 * Who may join, add and remove whom. Each operation returns a result union; the HTTP layer
 * maps the failure reasons to statuses. Removing a member tells the sync server (through
 * the process events) so it closes that user's live sockets for the room.
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
	| 'direct-message';

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

function insertMember(db: Db, roomId: string, userId: string, now: number): void {
	db.prepare(
		"INSERT OR IGNORE INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)"
	).run(roomId, userId, now);
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
	events: Events = getEvents()
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
	const removed = db
		.prepare('DELETE FROM memberships WHERE room_id = ? AND user_id = ?')
		.run(roomId, targetId);
	if (removed.changes === 0) return failure('user-not-found');
	events.emit('membership-revoked', { roomId, userId: targetId });
	return { ok: true, value: null };
}
