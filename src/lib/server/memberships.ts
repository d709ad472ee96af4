/**
 * Who may join, add and remove whom. Each operation returns a result union; the HTTP layer
 * maps the failure reasons to statuses. Removing a member tells the sync server (through
 * the services' events) so it closes that user's live sockets for the room. Removal by the
 * owner bans (room_bans) until an invite, the owner adding them again, or an unban.
 */
import type { EventEmitter } from 'node:events';
import type { MembershipRevoked } from './events';
import type { BannedUser, Member, Room, RoomStorage, Storage } from './storage/types';

export type { BannedUser, Member } from './storage/types';

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

type Events = Pick<EventEmitter<{ 'membership-revoked': [MembershipRevoked] }>, 'emit'>;

function failure<T>(reason: MembershipFailure): MembershipResult<T> {
	return { ok: false, reason };
}

/** Joins a public room. Joining twice is fine; private rooms are by invitation only. */
export async function joinRoom(
	rooms: RoomStorage,
	roomId: string,
	userId: string,
	now: number = Date.now()
): Promise<MembershipResult<Room>> {
	const room = await rooms.get(roomId);
	if (!room) return failure('room-not-found');
	if (await rooms.membership(roomId, userId)) return { ok: true, value: room };
	if (room.visibility !== 'public') return failure('forbidden');
	if (await rooms.isBanned(roomId, userId)) return failure('banned');
	await rooms.addMember(roomId, userId, now);
	return { ok: true, value: room };
}

/** The room's members (owner first, then by name), visible to members only. */
export async function listMembers(
	rooms: RoomStorage,
	roomId: string,
	viewerId: string
): Promise<MembershipResult<Member[]>> {
	if (!(await rooms.get(roomId))) return failure('room-not-found');
	if (!(await rooms.membership(roomId, viewerId))) return failure('not-a-member');
	return { ok: true, value: await rooms.members(roomId) };
}

/** The owner's checks: the room exists, is a room (not a DM), and the actor owns it. */
export async function checkOwner(
	rooms: RoomStorage,
	roomId: string,
	actorId: string
): Promise<MembershipFailure | null> {
	const room = await rooms.get(roomId);
	if (!room) return 'room-not-found';
	const role = await rooms.membership(roomId, actorId);
	if (!role) return 'not-a-member';
	if (room.kind === 'dm') return 'direct-message';
	return role === 'owner' ? null : 'forbidden';
}

/** The owner adds a user by name. */
export async function addMember(
	storage: Pick<Storage, 'accounts' | 'rooms'>,
	roomId: string,
	actorId: string,
	username: string,
	now: number = Date.now()
): Promise<MembershipResult<Member>> {
	const { rooms } = storage;
	const refused = await checkOwner(rooms, roomId, actorId);
	if (refused) return failure(refused);
	const user = await storage.accounts.findUserByUsername(username);
	if (!user) return failure('user-not-found');
	if (await rooms.membership(roomId, user.id)) return failure('already-member');
	await rooms.addMember(roomId, user.id, now);
	const profile = await storage.accounts.getProfile(user.id);
	return {
		ok: true,
		value: {
			id: user.id,
			username: user.username,
			displayName: profile?.displayName ?? '',
			avatar: profile?.avatar ?? null,
			role: 'member'
		}
	};
}

/**
 * The owner removes anyone but themselves; a member may remove themselves (leave).
 * The owner cannot leave: a room without an owner could never be managed again.
 * Nobody leaves a DM: it is the conversation of exactly those two people.
 */
export async function removeMember(
	rooms: RoomStorage,
	events: Events,
	roomId: string,
	actorId: string,
	targetId: string,
	now: number = Date.now()
): Promise<MembershipResult<null>> {
	const room = await rooms.get(roomId);
	if (!room) return failure('room-not-found');
	const actorRole = await rooms.membership(roomId, actorId);
	if (!actorRole) return failure('not-a-member');
	if (room.kind === 'dm') return failure('direct-message');
	if (actorId === targetId) {
		if (actorRole === 'owner') return failure('owner-cannot-leave');
	} else if (actorRole !== 'owner') {
		return failure('forbidden');
	}
	// Leaving is not a ban; removal by the owner is.
	const removed = await rooms.removeMember(roomId, targetId, { ban: actorId !== targetId, now });
	if (!removed) return failure('user-not-found');
	events.emit('membership-revoked', { roomId, userId: targetId });
	return { ok: true, value: null };
}

/** The users the owner removed, by name (owner only). */
export async function listBans(
	rooms: RoomStorage,
	roomId: string,
	actorId: string
): Promise<MembershipResult<BannedUser[]>> {
	const refused = await checkOwner(rooms, roomId, actorId);
	if (refused) return failure(refused);
	return { ok: true, value: await rooms.bans(roomId) };
}

/** The owner lifts a ban: the user may join (a public room) again. */
export async function unbanUser(
	rooms: RoomStorage,
	roomId: string,
	actorId: string,
	targetId: string
): Promise<MembershipResult<null>> {
	const refused = await checkOwner(rooms, roomId, actorId);
	if (refused) return failure(refused);
	return (await rooms.unban(roomId, targetId)) ? { ok: true, value: null } : failure('not-banned');
}
