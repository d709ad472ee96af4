/**
 * The owner renames a room, gives it a topic, archives it or opens it again
 * (PATCH /api/rooms/:id). The sync server hears it (`room-settings-changed`): the gate of an
 * archived room refuses new messages, and members' summaries are re-sent with the new name.
 * Only the owner may; DMs have no owner and keep their names.
 */
import type { EventEmitter } from 'node:events';
import type { RoomSettingsChanged } from './events';
import { checkOwner, type MembershipResult } from './memberships';
import type { RoomSettingsInput } from './schemas';
import type { Room, RoomStorage } from './storage/types';

type Events = Pick<EventEmitter<{ 'room-settings-changed': [RoomSettingsChanged] }>, 'emit'>;

export async function changeRoomSettings(
	rooms: RoomStorage,
	events: Events,
	roomId: string,
	actorId: string,
	input: RoomSettingsInput,
	now: number = Date.now()
): Promise<MembershipResult<Room>> {
	const refused = await checkOwner(rooms, roomId, actorId);
	if (refused) return { ok: false, reason: refused };
	const current = await rooms.get(roomId);
	// Archiving an archived room keeps the first time.
	const archivedAt =
		input.archived === undefined ? undefined : input.archived ? (current?.archivedAt ?? now) : null;
	const room = await rooms.updateSettings(roomId, {
		...(input.name !== undefined ? { name: input.name } : {}),
		...(input.topic !== undefined ? { topic: input.topic } : {}),
		...(archivedAt !== undefined ? { archivedAt } : {})
	});
	if (!room) return { ok: false, reason: 'room-not-found' };
	events.emit('room-settings-changed', { roomId });
	return { ok: true, value: room };
}

/** A room as the API shows its settings. */
export function roomSettingsView(room: Room): {
	id: string;
	name: string;
	visibility: Room['visibility'];
	topic: string;
	archived: boolean;
} {
	return {
		id: room.id,
		name: room.name,
		visibility: room.visibility,
		topic: room.topic,
		archived: room.archivedAt !== null
	};
}
