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
import type { RateLimitVerdict } from './rate-limit';
import { generateId } from './id';
import type { DmStatus, Room, RoomStorage, Storage, User } from './storage/types';

export type { DirectMessage, DmRequest, DmStatus } from './storage/types';

export type DmFailure = 'cannot-dm-self' | 'user-not-found' | 'dm-declined' | 'request-not-found';

export type OpenDmResult =
	| {
			readonly ok: true;
			readonly room: Room;
			readonly created: boolean;
			readonly status: DmStatus;
	  }
	| { readonly ok: false; readonly reason: DmFailure }
	| { readonly ok: false; readonly reason: 'rate-limited'; readonly retryAfterSeconds: number };

/** The pair's key: the same whichever of the two starts the DM. */
export function dmKey(userA: string, userB: string): string {
	return [userA, userB].sort().join(':');
}

/**
 * The DM between `me` and the user called `username`: the existing one (which `me` joins if a
 * request to them was pending or declined), or a new one, asking `admit` first (the creation
 * limit). New DMs between people who share no room are requests.
 */
export async function openDm(
	storage: Pick<Storage, 'accounts' | 'rooms'>,
	me: User,
	username: string,
	now: number = Date.now(),
	admit: () => RateLimitVerdict = () => ({ allowed: true, remaining: 0 })
): Promise<OpenDmResult> {
	const other = await storage.accounts.findUserByUsername(username);
	if (!other) return { ok: false, reason: 'user-not-found' };
	if (other.id === me.id) return { ok: false, reason: 'cannot-dm-self' };
	const opened = await storage.rooms.openDm({
		me,
		other,
		key: dmKey(me.id, other.id),
		roomId: generateId(),
		name: `${me.username} & ${other.username}`,
		now,
		admit
	});
	switch (opened.status) {
		case 'declined':
			return { ok: false, reason: 'dm-declined' };
		case 'refused':
			return { ok: false, reason: 'rate-limited', retryAfterSeconds: opened.retryAfterSeconds };
		case 'opened':
			return { ok: true, room: opened.room, created: opened.created, status: opened.dmStatus };
	}
}

export type DmRequestResult =
	| { readonly ok: true; readonly room: Room }
	| { readonly ok: false; readonly reason: 'request-not-found' };

/** The recipient accepts the request in DM `roomId`: from now on an ordinary DM. */
export async function acceptDmRequest(
	rooms: RoomStorage,
	roomId: string,
	userId: string,
	now: number = Date.now()
): Promise<DmRequestResult> {
	const room = await rooms.acceptDmRequest(roomId, userId, now);
	return room ? { ok: true, room } : { ok: false, reason: 'request-not-found' };
}

/** The recipient declines: the request goes and the sender may not ask again. */
export async function declineDmRequest(
	rooms: RoomStorage,
	roomId: string,
	userId: string,
	now: number = Date.now()
): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: 'request-not-found' }> {
	const declined = await rooms.declineDmRequest(roomId, userId, now);
	return declined ? { ok: true } : { ok: false, reason: 'request-not-found' };
}
