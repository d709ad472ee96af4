/**
 * Direct messages. A DM is a private room of kind 'dm' whose two members are fixed when it is
 * created: nobody is added, nobody leaves (memberships.ts refuses both), no invites. Its
 * `dm_key` (both user ids, sorted) is UNIQUE, so two people share at most one DM.
 */
import type { Db } from './db';
import { generateId } from './id';
import { getRoom, type Room } from './rooms';
import type { User } from './session';
import { findUserByUsername } from './users';

export type DmFailure = 'cannot-dm-self' | 'user-not-found';

export type OpenDmResult =
	| { readonly ok: true; readonly room: Room; readonly created: boolean }
	| { readonly ok: false; readonly reason: DmFailure };

export interface DirectMessage {
	readonly id: string;
	readonly other: User;
}

/** The pair's key: the same whichever of the two starts the DM. */
export function dmKey(userA: string, userB: string): string {
	return [userA, userB].sort().join(':');
}

/** The DM between `me` and the user called `username`: the existing one, or a new one. */
export function openDm(db: Db, me: User, username: string, now: number = Date.now()): OpenDmResult {
	const other = findUserByUsername(db, username);
	if (!other) return { ok: false, reason: 'user-not-found' };
	if (other.id === me.id) return { ok: false, reason: 'cannot-dm-self' };
	const key = dmKey(me.id, other.id);
	// IMMEDIATE takes the write lock before the lookup: another instance sharing the file cannot
	// insert the same pair between our SELECT and INSERT (the UNIQUE index would refuse it anyway).
	const open = db.transaction((): { roomId: string; created: boolean } => {
		const existing = db.prepare('SELECT id FROM rooms WHERE dm_key = ?').get(key) as
			{ id: string } | undefined;
		if (existing) return { roomId: existing.id, created: false };
		const roomId = generateId();
		db.prepare(
			`INSERT INTO rooms (id, name, visibility, owner_id, created_at, kind, dm_key)
			 VALUES (?, ?, 'private', ?, ?, 'dm', ?)`
		).run(roomId, `${me.username} & ${other.username}`, me.id, now, key);
		// Both are plain members: a DM has no owner who could add or remove anyone.
		const member = db.prepare(
			"INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)"
		);
		member.run(roomId, me.id, now);
		member.run(roomId, other.id, now);
		return { roomId, created: true };
	});
	const { roomId, created } = open.immediate();
	const room = getRoom(db, roomId);
	if (!room) throw new Error(`DM ${roomId} vanished right after it was opened`);
	return { ok: true, room, created };
}

/** The user's DMs, newest first, each with the other person. */
export function listDms(db: Db, userId: string): DirectMessage[] {
	const rows = db
		.prepare(
			`SELECT r.id, u.id AS other_id, u.username AS other_username
			 FROM memberships m
			 JOIN rooms r ON r.id = m.room_id AND r.kind = 'dm'
			 JOIN memberships o ON o.room_id = r.id AND o.user_id <> m.user_id
			 JOIN users u ON u.id = o.user_id
			 WHERE m.user_id = ? ORDER BY r.created_at DESC, r.id`
		)
		.all(userId) as { id: string; other_id: string; other_username: string }[];
	return rows.map((row) => ({
		id: row.id,
		other: { id: row.other_id, username: row.other_username }
	}));
}
