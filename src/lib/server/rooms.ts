/**
 * Rooms: creating them and listing them, on `storage.rooms` (memberships.ts decides who may
 * join, add and remove whom).
 */
import { generateId } from './id';
import type { PublicRoom, Room, RoomOfUser, RoomStorage, Visibility } from './storage/types';

export type { PublicRoom, Role, Room, RoomKind, RoomOfUser, Visibility } from './storage/types';

export async function createRoom(
	rooms: RoomStorage,
	owner: string,
	name: string,
	visibility: Visibility,
	now: number = Date.now(),
	encrypted = false
): Promise<Room> {
	return rooms.create({ id: generateId(), name, visibility, ownerId: owner, now, encrypted });
}

/** The (ordinary) rooms a user belongs to, newest first. DMs are listed by dms.ts. */
export async function listUserRooms(rooms: RoomStorage, userId: string): Promise<RoomOfUser[]> {
	return rooms.listOfUser(userId);
}

/** How many public rooms the directory lists at most. */
const PUBLIC_ROOMS_LIMIT = 200;

/** Public rooms, newest first, each marked with whether `userId` is already in it. */
export async function listPublicRooms(rooms: RoomStorage, userId: string): Promise<PublicRoom[]> {
	return rooms.listPublic(userId, PUBLIC_ROOMS_LIMIT);
}
