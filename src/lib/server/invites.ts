/**
 * Invite links: the owner of a room hands out a token that lets whoever holds it join, until
 * it expires, is revoked or is used up. The token has 120 random bits; like session secrets,
 * only its SHA-256 is stored, so the database alone yields no working link.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { generateId } from './id';
import type { MembershipFailure } from './memberships';
import { inviteState } from './storage/rules';
import type { Invite, InviteState, Room, RoomStorage } from './storage/types';

export { inviteState } from './storage/rules';
export type { Invite, InviteState } from './storage/types';

const HOUR_MS = 60 * 60 * 1000;

export type InviteFailure =
	'invite-not-found' | 'invite-expired' | 'invite-revoked' | 'invite-used-up';

export type InviteResult<T> =
	| { readonly ok: true; readonly value: T }
	| { readonly ok: false; readonly reason: MembershipFailure | InviteFailure };

function failure<T>(reason: MembershipFailure | InviteFailure): InviteResult<T> {
	return { ok: false, reason };
}

const STATE_FAILURES: Record<Exclude<InviteState, 'active'>, InviteFailure> = {
	expired: 'invite-expired',
	revoked: 'invite-revoked',
	'used-up': 'invite-used-up'
};

export function hashInviteToken(token: string): Uint8Array {
	return sha256(new TextEncoder().encode(token));
}

export function inviteUrl(origin: string, token: string): string {
	return `${origin}/invite/${encodeURIComponent(token)}`;
}

/** The room if `actorId` is its owner and it takes invites (DMs never do). */
async function ownedRoom(
	rooms: RoomStorage,
	roomId: string,
	actorId: string
): Promise<InviteResult<Room>> {
	const room = await rooms.get(roomId);
	if (!room) return failure('room-not-found');
	const role = await rooms.membership(roomId, actorId);
	if (!role) return failure('not-a-member');
	if (room.kind === 'dm') return failure('direct-message');
	if (role !== 'owner') return failure('forbidden');
	return { ok: true, value: room };
}

export interface InviteOptions {
	readonly expiresInHours: number;
	readonly maxUses?: number | undefined;
}

/** The room's owner creates an invite; the token is returned once and never stored. */
export async function createInvite(
	rooms: RoomStorage,
	roomId: string,
	actorId: string,
	options: InviteOptions,
	now: number = Date.now()
): Promise<InviteResult<{ invite: Invite; token: string }>> {
	const room = await ownedRoom(rooms, roomId, actorId);
	if (!room.ok) return room;
	const token = generateId();
	const invite: Invite = {
		id: generateId(),
		roomId,
		createdAt: now,
		expiresAt: now + options.expiresInHours * HOUR_MS,
		maxUses: options.maxUses ?? null,
		uses: 0,
		revokedAt: null
	};
	await rooms.createInvite({ invite, tokenHash: hashInviteToken(token), createdBy: actorId });
	return { ok: true, value: { invite, token } };
}

/** The room's invites that still admit people, newest first (owner only). */
export async function listActiveInvites(
	rooms: RoomStorage,
	roomId: string,
	actorId: string,
	now: number = Date.now()
): Promise<InviteResult<Invite[]>> {
	const room = await ownedRoom(rooms, roomId, actorId);
	if (!room.ok) return room;
	return { ok: true, value: await rooms.activeInvites(roomId, now) };
}

/** The owner revokes an invite of the room; revoking twice is fine. */
export async function revokeInvite(
	rooms: RoomStorage,
	roomId: string,
	actorId: string,
	inviteId: string,
	now: number = Date.now()
): Promise<InviteResult<null>> {
	const room = await ownedRoom(rooms, roomId, actorId);
	if (!room.ok) return room;
	if (!(await rooms.revokeInvite(roomId, inviteId, now))) return failure('invite-not-found');
	return { ok: true, value: null };
}

/** Tokens we issue are 24 characters; anything much longer is not worth hashing. */
const MAX_TOKEN_CHARS = 64;

function tokenHashOf(token: string): Uint8Array | null {
	if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return null;
	return hashInviteToken(token);
}

/** What an invite link leads to, if it still admits people (the invite page shows it). */
export async function checkInvite(
	rooms: RoomStorage,
	token: string,
	now: number = Date.now()
): Promise<InviteResult<{ invite: Invite; room: Room }>> {
	const hash = tokenHashOf(token);
	const invite = hash && (await rooms.findInvite(hash));
	if (!invite) return failure('invite-not-found');
	const state = inviteState(invite, now);
	if (state !== 'active') return failure(STATE_FAILURES[state]);
	const room = await rooms.get(invite.roomId);
	if (!room) return failure('invite-not-found');
	return { ok: true, value: { invite, room } };
}

/**
 * Joins the invite's room. A user already in it gets the room without using the invite up;
 * a link that no longer admits people adds nobody, members included get the same answer.
 */
export async function acceptInvite(
	rooms: RoomStorage,
	token: string,
	userId: string,
	now: number = Date.now()
): Promise<InviteResult<{ room: Room; joined: boolean }>> {
	const hash = tokenHashOf(token);
	if (!hash) return failure('invite-not-found');
	const outcome = await rooms.acceptInvite(hash, userId, now);
	switch (outcome.status) {
		case 'not-found':
			return failure('invite-not-found');
		case 'inactive':
			return failure(STATE_FAILURES[outcome.state]);
		case 'already-member':
			return { ok: true, value: { room: outcome.room, joined: false } };
		case 'joined':
			return { ok: true, value: { room: outcome.room, joined: true } };
	}
}
