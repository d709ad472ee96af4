/**
 * Delivery receipts of a room (docs/design.md "Delivered and read"): its current members, each
 * with how far their devices have received the room (`storage.summaries` delivery marks). Read
 * marks are in the room document itself; the client joins the two.
 */
import { listMembers, type MembershipResult } from './memberships';
import type { Storage } from './storage/types';

export interface MemberDelivery {
	readonly id: string;
	readonly username: string;
	/** The last message one of their devices acknowledged, and when; null before any. */
	readonly delivered: { readonly upTo: string; readonly ts: number } | null;
}

/** The room's members with their delivery marks; for members of the room only. */
export async function roomReceipts(
	storage: Pick<Storage, 'rooms' | 'summaries'>,
	roomId: string,
	viewerId: string
): Promise<MembershipResult<MemberDelivery[]>> {
	const members = await listMembers(storage.rooms, roomId, viewerId);
	if (!members.ok) return members;
	const marks = new Map(
		(await storage.summaries.deliveriesOf(roomId)).map((mark) => [mark.userId, mark])
	);
	return {
		ok: true,
		value: members.value.map(({ id, username }) => {
			const mark = marks.get(id);
			return { id, username, delivered: mark ? { upTo: mark.upTo, ts: mark.ts } : null };
		})
	};
}
