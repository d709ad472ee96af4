/**
 * Notification levels, account-wide (docs/design.md "Notification levels"): a member's level for
 * a room ("all", "mentions", "nothing", or null for their default) and their default. Kept by
 * the server and delivered in the summaries, so every device of the user counts and notifies
 * alike; a change re-lists the user's summary sockets on every instance (`levels-changed`).
 */
import type { ServerEvents } from './events';
import type { MembershipResult } from './memberships';
import type { NotificationLevel, Storage } from './storage/types';

export async function setRoomLevel(
	storage: Pick<Storage, 'rooms' | 'summaries'>,
	events: Pick<ServerEvents, 'emit'>,
	roomId: string,
	userId: string,
	level: NotificationLevel | null
): Promise<MembershipResult<{ level: NotificationLevel | null }>> {
	if (!(await storage.rooms.get(roomId))) return { ok: false, reason: 'room-not-found' };
	if (!(await storage.summaries.setRoomLevel(roomId, userId, level))) {
		return { ok: false, reason: 'not-a-member' };
	}
	events.emit('levels-changed', { userId });
	return { ok: true, value: { level } };
}

export async function setDefaultLevel(
	storage: Pick<Storage, 'summaries'>,
	events: Pick<ServerEvents, 'emit'>,
	userId: string,
	level: NotificationLevel
): Promise<void> {
	await storage.summaries.setDefaultLevel(userId, level);
	events.emit('levels-changed', { userId });
}
