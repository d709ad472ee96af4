/**
 * Direct messages. A DM is a private room of kind 'dm' between two people, fixed when it is
 * created: nobody is added, nobody leaves (memberships.ts refuses both), no invites. Its
 * `dm_key` (both user ids, sorted) is UNIQUE, so two people share at most one DM.
 *
 * Nobody gets a DM forced on them (as in WhatsApp and Element): when the two share no room, the
 * DM starts as a request (dm_requests). The sender is a member and writes at once; the recipient
 * becomes a member only by accepting (or by opening the DM with the sender themselves). Declining
 * drops the request and refuses further ones from that sender (dm_declines).
 */
import type { Db } from './db';
import { generateId } from './id';
import type { RateLimitVerdict } from './rate-limit';
import { getMembership, getRoom, type Room } from './rooms';
import type { User } from './session';
import { findUserByUsername } from './users';

export type DmFailure = 'cannot-dm-self' | 'user-not-found' | 'dm-declined' | 'request-not-found';

/** 'pending': the other person has not accepted yet. */
export type DmStatus = 'active' | 'pending';

export type OpenDmResult =
	| {
			readonly ok: true;
			readonly room: Room;
			readonly created: boolean;
			readonly status: DmStatus;
	  }
	| { readonly ok: false; readonly reason: DmFailure }
	| { readonly ok: false; readonly reason: 'rate-limited'; readonly retryAfterSeconds: number };

export interface DirectMessage {
	readonly id: string;
	readonly other: User;
	readonly status: DmStatus;
}

export interface DmRequest {
	readonly id: string;
	readonly other: User;
}

/** The pair's key: the same whichever of the two starts the DM. */
export function dmKey(userA: string, userB: string): string {
	return [userA, userB].sort().join(':');
}

function addMember(db: Db, roomId: string, userId: string, now: number): void {
	// Both are plain members: a DM has no owner who could add or remove anyone.
	db.prepare(
		"INSERT OR IGNORE INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)"
	).run(roomId, userId, now);
}

function hasPendingRequest(db: Db, roomId: string): boolean {
	return db.prepare('SELECT 1 FROM dm_requests WHERE room_id = ?').get(roomId) !== undefined;
}

function sharesRoom(db: Db, userA: string, userB: string): boolean {
	const row = db
		.prepare(
			`SELECT 1 FROM memberships a
			 JOIN memberships b ON b.room_id = a.room_id AND b.user_id = ?
			 JOIN rooms r ON r.id = a.room_id AND r.kind = 'room'
			 WHERE a.user_id = ? LIMIT 1`
		)
		.get(userB, userA);
	return row !== undefined;
}

/** The recipient accepts: the request goes, the membership comes, the sender is unblocked. */
function joinAsRecipient(db: Db, roomId: string, me: string, other: string, now: number): void {
	db.prepare('DELETE FROM dm_requests WHERE room_id = ? AND recipient_id = ?').run(roomId, me);
	db.prepare('DELETE FROM dm_declines WHERE recipient_id = ? AND sender_id = ?').run(me, other);
	addMember(db, roomId, me, now);
}

/**
 * The DM between `me` and the user called `username`: the existing one (which `me` joins if a
 * request to them was pending or declined), or a new one, asking `admit` first (the creation
 * limit). New DMs between people who share no room are requests.
 */
export function openDm(
	db: Db,
	me: User,
	username: string,
	now: number = Date.now(),
	admit: () => RateLimitVerdict = () => ({ allowed: true, remaining: 0 })
): OpenDmResult {
	const other = findUserByUsername(db, username);
	if (!other) return { ok: false, reason: 'user-not-found' };
	if (other.id === me.id) return { ok: false, reason: 'cannot-dm-self' };
	const key = dmKey(me.id, other.id);
	// IMMEDIATE takes the write lock before the lookup: another instance sharing the file cannot
	// insert the same pair between our SELECT and INSERT (the UNIQUE index would refuse it anyway).
	const open = db.transaction((): OpenDmResult | { roomId: string; created: boolean } => {
		const declined = db
			.prepare('SELECT 1 FROM dm_declines WHERE recipient_id = ? AND sender_id = ?')
			.get(other.id, me.id);
		if (declined) return { ok: false, reason: 'dm-declined' };
		const existing = db.prepare('SELECT id FROM rooms WHERE dm_key = ?').get(key) as
			{ id: string } | undefined;
		if (existing) {
			if (!getMembership(db, existing.id, me.id)) {
				joinAsRecipient(db, existing.id, me.id, other.id, now);
			}
			return { roomId: existing.id, created: false };
		}
		const verdict = admit();
		if (!verdict.allowed) {
			return { ok: false, reason: 'rate-limited', retryAfterSeconds: verdict.retryAfterSeconds };
		}
		const roomId = generateId();
		db.prepare(
			`INSERT INTO rooms (id, name, visibility, owner_id, created_at, kind, dm_key)
			 VALUES (?, ?, 'private', ?, ?, 'dm', ?)`
		).run(roomId, `${me.username} & ${other.username}`, me.id, now, key);
		addMember(db, roomId, me.id, now);
		if (sharesRoom(db, me.id, other.id)) {
			addMember(db, roomId, other.id, now);
		} else {
			db.prepare(
				'INSERT INTO dm_requests (room_id, sender_id, recipient_id, created_at) VALUES (?, ?, ?, ?)'
			).run(roomId, me.id, other.id, now);
		}
		return { roomId, created: true };
	});
	const opened = open.immediate();
	if ('ok' in opened) return opened;
	const room = getRoom(db, opened.roomId);
	if (!room) throw new Error(`DM ${opened.roomId} vanished right after it was opened`);
	const status = hasPendingRequest(db, room.id) ? 'pending' : 'active';
	return { ok: true, room, created: opened.created, status };
}

/**
 * The user's DMs, newest first, each with the other person (found through `dm_key`, so a DM
 * whose other person has not accepted, or declined, still names them).
 */
export function listDms(db: Db, userId: string): DirectMessage[] {
	const rows = db
		.prepare(
			// dm_key is "<id>:<id>" and ids hold no ':': removing mine leaves the other's.
			`SELECT r.id, u.id AS other_id, u.username AS other_username,
				EXISTS (SELECT 1 FROM dm_requests q WHERE q.room_id = r.id) AS pending
			 FROM memberships m
			 JOIN rooms r ON r.id = m.room_id AND r.kind = 'dm'
			 JOIN users u ON u.id = replace(replace(r.dm_key, m.user_id || ':', ''), ':' || m.user_id, '')
			 WHERE m.user_id = ? ORDER BY r.created_at DESC, r.id`
		)
		.all(userId) as { id: string; other_id: string; other_username: string; pending: number }[];
	return rows.map((row) => ({
		id: row.id,
		other: { id: row.other_id, username: row.other_username },
		status: row.pending === 1 ? 'pending' : 'active'
	}));
}

/** DM requests waiting for the user to accept or decline, newest first. */
export function listDmRequests(db: Db, userId: string): DmRequest[] {
	const rows = db
		.prepare(
			`SELECT q.room_id AS id, u.id AS other_id, u.username AS other_username
			 FROM dm_requests q JOIN users u ON u.id = q.sender_id
			 WHERE q.recipient_id = ? ORDER BY q.created_at DESC, q.room_id`
		)
		.all(userId) as { id: string; other_id: string; other_username: string }[];
	return rows.map((row) => ({
		id: row.id,
		other: { id: row.other_id, username: row.other_username }
	}));
}

export type DmRequestResult =
	| { readonly ok: true; readonly room: Room }
	| { readonly ok: false; readonly reason: 'request-not-found' };

function pendingSender(db: Db, roomId: string, recipientId: string): string | null {
	const row = db
		.prepare('SELECT sender_id FROM dm_requests WHERE room_id = ? AND recipient_id = ?')
		.get(roomId, recipientId) as { sender_id: string } | undefined;
	return row?.sender_id ?? null;
}

/** The recipient accepts the request in DM `roomId`: from now on an ordinary DM. */
export function acceptDmRequest(
	db: Db,
	roomId: string,
	userId: string,
	now: number = Date.now()
): DmRequestResult {
	const accept = db.transaction((): boolean => {
		const sender = pendingSender(db, roomId, userId);
		if (sender === null) return false;
		joinAsRecipient(db, roomId, userId, sender, now);
		return true;
	});
	const room = accept.immediate() ? getRoom(db, roomId) : null;
	return room ? { ok: true, room } : { ok: false, reason: 'request-not-found' };
}

/** The recipient declines: the request goes and the sender may not ask again. */
export function declineDmRequest(
	db: Db,
	roomId: string,
	userId: string,
	now: number = Date.now()
): { readonly ok: true } | { readonly ok: false; readonly reason: 'request-not-found' } {
	const decline = db.transaction((): boolean => {
		const sender = pendingSender(db, roomId, userId);
		if (sender === null) return false;
		db.prepare('DELETE FROM dm_requests WHERE room_id = ?').run(roomId);
		db.prepare(
			'INSERT OR REPLACE INTO dm_declines (recipient_id, sender_id, declined_at) VALUES (?, ?, ?)'
		).run(userId, sender, now);
		return true;
	});
	return decline.immediate() ? { ok: true } : { ok: false, reason: 'request-not-found' };
}
