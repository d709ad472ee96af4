/**
 * Rooms and memberships: the queries both the HTTP API and the sync server's upgrade use.
 */
import { cachedStatement, type Db } from './db';
import { generateId } from './id';

export type Visibility = 'public' | 'private';
export type Role = 'owner' | 'member';
/** 'dm': a direct message, a private room of exactly two members (see dms.ts). */
export type RoomKind = 'room' | 'dm';

export interface Room {
	readonly id: string;
	readonly name: string;
	readonly visibility: Visibility;
	readonly kind: RoomKind;
	readonly ownerId: string;
	readonly createdAt: number;
	/** The live document's epoch (docs/design.md "History segments"). */
	readonly epoch: number;
}

interface RoomRow {
	id: string;
	name: string;
	visibility: Visibility;
	kind: RoomKind;
	owner_id: string;
	created_at: number;
	epoch: number;
}

function toRoom(row: RoomRow): Room {
	return {
		id: row.id,
		name: row.name,
		visibility: row.visibility,
		kind: row.kind,
		ownerId: row.owner_id,
		createdAt: row.created_at,
		epoch: row.epoch
	};
}

export function getRoom(db: Db, roomId: string): Room | null {
	const row = db.prepare('SELECT * FROM rooms WHERE id = ?').get(roomId) as RoomRow | undefined;
	return row ? toRoom(row) : null;
}

/** The user's role in the room, or null when they are not a member. */
export function getMembership(db: Db, roomId: string, userId: string): Role | null {
	// Asked on every room request and sync upgrade.
	return (
		cachedStatement<[string, string], { role: Role }>(
			db,
			'SELECT role FROM memberships WHERE room_id = ? AND user_id = ?'
		).get(roomId, userId)?.role ?? null
	);
}

export function createRoom(
	db: Db,
	owner: string,
	name: string,
	visibility: Visibility,
	now: number = Date.now()
): Room {
	const room: Room = {
		id: generateId(),
		name,
		visibility,
		kind: 'room',
		ownerId: owner,
		createdAt: now,
		epoch: 0
	};
	db.transaction(() => {
		db.prepare(
			'INSERT INTO rooms (id, name, visibility, owner_id, created_at) VALUES (?, ?, ?, ?, ?)'
		).run(room.id, name, visibility, owner, now);
		db.prepare(
			"INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)"
		).run(room.id, owner, now);
	})();
	return room;
}

export interface RoomOfUser {
	readonly id: string;
	readonly name: string;
	readonly visibility: Visibility;
	readonly kind: RoomKind;
	readonly role: Role;
}

/** The (ordinary) rooms a user belongs to, newest first. DMs are listed by dms.ts. */
export function listUserRooms(db: Db, userId: string): RoomOfUser[] {
	return db
		.prepare(
			`SELECT r.id, r.name, r.visibility, r.kind, m.role FROM memberships m
			 JOIN rooms r ON r.id = m.room_id
			 WHERE m.user_id = ? AND r.kind = 'room' ORDER BY r.created_at DESC, r.id`
		)
		.all(userId) as RoomOfUser[];
}

export interface PublicRoom {
	readonly id: string;
	readonly name: string;
	readonly joined: boolean;
}

/** How many public rooms the directory lists at most. */
const PUBLIC_ROOMS_LIMIT = 200;

/** Public rooms, newest first, each marked with whether `userId` is already in it. */
export function listPublicRooms(db: Db, userId: string): PublicRoom[] {
	const rows = db
		.prepare(
			`SELECT r.id, r.name, EXISTS (
				SELECT 1 FROM memberships m WHERE m.room_id = r.id AND m.user_id = ?
			 ) AS joined
			 FROM rooms r WHERE r.visibility = 'public' AND r.kind = 'room'
			 ORDER BY r.created_at DESC, r.id LIMIT ?`
		)
		.all(userId, PUBLIC_ROOMS_LIMIT) as { id: string; name: string; joined: number }[];
	return rows.map((row) => ({ id: row.id, name: row.name, joined: row.joined === 1 }));
}
