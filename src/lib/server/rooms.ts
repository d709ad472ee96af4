/**
 * Rooms and memberships: the queries both the HTTP API and the sync server's upgrade use.
 */
import type { Db } from './db';
import { generateId } from './id';

export type Visibility = 'public' | 'private';
export type Role = 'owner' | 'member';

export interface Room {
	readonly id: string;
	readonly name: string;
	readonly visibility: Visibility;
	readonly ownerId: string;
	readonly createdAt: number;
}

interface RoomRow {
	id: string;
	name: string;
	visibility: Visibility;
	owner_id: string;
	created_at: number;
}

function toRoom(row: RoomRow): Room {
	return {
		id: row.id,
		name: row.name,
		visibility: row.visibility,
		ownerId: row.owner_id,
		createdAt: row.created_at
	};
}

export function getRoom(db: Db, roomId: string): Room | null {
	const row = db.prepare('SELECT * FROM rooms WHERE id = ?').get(roomId) as RoomRow | undefined;
	return row ? toRoom(row) : null;
}

/** The user's role in the room, or null when they are not a member. */
export function getMembership(db: Db, roomId: string, userId: string): Role | null {
	const row = db
		.prepare('SELECT role FROM memberships WHERE room_id = ? AND user_id = ?')
		.get(roomId, userId) as { role: Role } | undefined;
	return row?.role ?? null;
}

export function createRoom(
	db: Db,
	owner: string,
	name: string,
	visibility: Visibility,
	now: number = Date.now()
): Room {
	const room: Room = { id: generateId(), name, visibility, ownerId: owner, createdAt: now };
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
