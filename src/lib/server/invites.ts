/**
 * Invite links: the owner of a room hands out a token that lets whoever holds it join, until
 * it expires, is revoked or is used up. The token has 120 random bits; like session secrets,
 * only its SHA-256 is stored, so the database alone yields no working link.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import type { Db } from './db';
import { generateId } from './id';
import { insertMember, type MembershipFailure } from './memberships';
import { getMembership, getRoom, type Room } from './rooms';

const HOUR_MS = 60 * 60 * 1000;

export type InviteFailure =
	'invite-not-found' | 'invite-expired' | 'invite-revoked' | 'invite-used-up';

export type InviteResult<T> =
	| { readonly ok: true; readonly value: T }
	| { readonly ok: false; readonly reason: MembershipFailure | InviteFailure };

export interface Invite {
	readonly id: string;
	readonly roomId: string;
	readonly createdAt: number;
	readonly expiresAt: number;
	/** null: any number of uses until it expires. */
	readonly maxUses: number | null;
	readonly uses: number;
	readonly revokedAt: number | null;
}

export type InviteState = 'active' | 'expired' | 'revoked' | 'used-up';

interface InviteRow {
	id: string;
	room_id: string;
	created_at: number;
	expires_at: number;
	max_uses: number | null;
	uses: number;
	revoked_at: number | null;
}

function toInvite(row: InviteRow): Invite {
	return {
		id: row.id,
		roomId: row.room_id,
		createdAt: row.created_at,
		expiresAt: row.expires_at,
		maxUses: row.max_uses,
		uses: row.uses,
		revokedAt: row.revoked_at
	};
}

function failure<T>(reason: MembershipFailure | InviteFailure): InviteResult<T> {
	return { ok: false, reason };
}

/** Whether an invite still admits people at `now`; a revoked one says so first. */
export function inviteState(invite: Invite, now: number): InviteState {
	if (invite.revokedAt !== null) return 'revoked';
	if (now >= invite.expiresAt) return 'expired';
	if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'used-up';
	return 'active';
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
function ownedRoom(db: Db, roomId: string, actorId: string): InviteResult<Room> {
	const room = getRoom(db, roomId);
	if (!room) return failure('room-not-found');
	const role = getMembership(db, roomId, actorId);
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
export function createInvite(
	db: Db,
	roomId: string,
	actorId: string,
	options: InviteOptions,
	now: number = Date.now()
): InviteResult<{ invite: Invite; token: string }> {
	const room = ownedRoom(db, roomId, actorId);
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
	db.prepare(
		`INSERT INTO invites (id, token_hash, room_id, created_by, created_at, expires_at, max_uses)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`
	).run(invite.id, hashInviteToken(token), roomId, actorId, now, invite.expiresAt, invite.maxUses);
	return { ok: true, value: { invite, token } };
}

/** The room's invites that still admit people, newest first (owner only). */
export function listActiveInvites(
	db: Db,
	roomId: string,
	actorId: string,
	now: number = Date.now()
): InviteResult<Invite[]> {
	const room = ownedRoom(db, roomId, actorId);
	if (!room.ok) return room;
	const rows = db
		.prepare(
			`SELECT * FROM invites WHERE room_id = ? AND revoked_at IS NULL AND expires_at > ?
			 AND (max_uses IS NULL OR uses < max_uses) ORDER BY created_at DESC, id`
		)
		.all(roomId, now) as InviteRow[];
	return { ok: true, value: rows.map(toInvite) };
}

/** The owner revokes an invite of the room; revoking twice is fine. */
export function revokeInvite(
	db: Db,
	roomId: string,
	actorId: string,
	inviteId: string,
	now: number = Date.now()
): InviteResult<null> {
	const room = ownedRoom(db, roomId, actorId);
	if (!room.ok) return room;
	const found = db
		.prepare('SELECT 1 FROM invites WHERE id = ? AND room_id = ?')
		.get(inviteId, roomId);
	if (!found) return failure('invite-not-found');
	db.prepare('UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
		now,
		inviteId
	);
	return { ok: true, value: null };
}

/** Tokens we issue are 24 characters; anything much longer is not worth hashing. */
const MAX_TOKEN_CHARS = 64;

function findByToken(db: Db, token: string): Invite | null {
	if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return null;
	const row = db
		.prepare('SELECT * FROM invites WHERE token_hash = ?')
		.get(hashInviteToken(token)) as InviteRow | undefined;
	return row ? toInvite(row) : null;
}

/** What an invite link leads to, if it still admits people (the invite page shows it). */
export function checkInvite(
	db: Db,
	token: string,
	now: number = Date.now()
): InviteResult<{ invite: Invite; room: Room }> {
	const invite = findByToken(db, token);
	if (!invite) return failure('invite-not-found');
	const state = inviteState(invite, now);
	if (state !== 'active') return failure(STATE_FAILURES[state]);
	const room = getRoom(db, invite.roomId);
	if (!room) return failure('invite-not-found');
	return { ok: true, value: { invite, room } };
}

/**
 * Joins the invite's room. A user already in it gets the room without using the invite up;
 * a link that no longer admits people adds nobody, members included get the same answer.
 */
export function acceptInvite(
	db: Db,
	token: string,
	userId: string,
	now: number = Date.now()
): InviteResult<{ room: Room; joined: boolean }> {
	// IMMEDIATE: the last use of an invite goes to exactly one of two simultaneous visitors.
	const accept = db.transaction((): InviteResult<{ room: Room; joined: boolean }> => {
		const checked = checkInvite(db, token, now);
		if (!checked.ok) return checked;
		const { invite, room } = checked.value;
		if (getMembership(db, room.id, userId)) return { ok: true, value: { room, joined: false } };
		insertMember(db, room.id, userId, now);
		db.prepare('UPDATE invites SET uses = uses + 1 WHERE id = ?').run(invite.id);
		return { ok: true, value: { room, joined: true } };
	});
	return accept.immediate();
}
