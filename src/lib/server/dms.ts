/**
 * Direct messages. A DM is a private room of kind 'dm' between two people, or a group DM of 3–9
 * (the creator and 2–8 others), its set fixed when it is created: nobody is added, nobody leaves
 * (memberships.ts refuses both, as Slack's group DMs), no invites, no rename. Its `dm_key` (every
 * user id of the set, sorted) is UNIQUE, so a set of people shares at most one DM.
 *
 * Nobody gets a DM forced on them (as in WhatsApp and Element): each person who shares no
 * ordinary room with the creator gets a request (dm_requests, one per recipient). The creator is
 * a member and writes at once; a recipient becomes a member only by accepting (or by opening the
 * DM of that same set themselves). Declining drops their request only (the others carry on) and
 * refuses further DMs from that creator (dm_declines).
 */
import type { RateLimitVerdict } from './rate-limit';
import { generateId } from './id';
import type { DmStatus, Room, RoomStorage, Storage, User } from './storage/types';

export type { DirectMessage, DmRequest, DmStatus } from './storage/types';

export type DmFailure =
	'cannot-dm-self' | 'dm-duplicate' | 'user-not-found' | 'dm-declined' | 'request-not-found';

export type OpenDmResult =
	| {
			readonly ok: true;
			readonly room: Room;
			readonly created: boolean;
			readonly status: DmStatus;
	  }
	| { readonly ok: false; readonly reason: DmFailure }
	| { readonly ok: false; readonly reason: 'rate-limited'; readonly retryAfterSeconds: number };

/** The set's key: every user id, sorted, so the same whoever of them starts the DM. */
export function dmKey(...userIds: readonly string[]): string {
	return [...userIds].sort().join(':');
}

/**
 * A new DM's stored name, every username of the set: "alice & bob" (the creator first), or
 * "alice, bob & carol" for a group, all by username (as GET /api/dms lists `others`). Usernames
 * hold no ',', '&' or space, so the client can take it apart again (src/lib/client/dm.ts) to name
 * it after the others.
 */
export function dmName(me: User, others: readonly User[]): string {
	const names = [me.username, ...others.map((other) => other.username)];
	if (names.length > 2) {
		names.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
	}
	const last = names.pop() ?? '';
	return `${names.join(', ')} & ${last}`;
}

/**
 * The DM between `me` and the user called `username` (or, given several names, the group DM of
 * `me` and those people): the existing one of exactly that set (which `me` joins if a request to
 * them was pending or declined), or a new one, asking `admit` first (the creation limit). Each
 * person who shares no ordinary room with `me` gets it as a request. The caller checked the
 * number of names (1, or 2–8: the zod schema).
 */
export async function openDm(
	storage: Pick<Storage, 'accounts' | 'rooms'>,
	me: User,
	username: string | readonly string[],
	now: number = Date.now(),
	admit: () => RateLimitVerdict = () => ({ allowed: true, remaining: 0 })
): Promise<OpenDmResult> {
	const names = typeof username === 'string' ? [username] : username;
	const others: User[] = [];
	for (const name of names) {
		const other = await storage.accounts.findUserByUsername(name);
		if (!other) return { ok: false, reason: 'user-not-found' };
		if (other.id === me.id) return { ok: false, reason: 'cannot-dm-self' };
		// Two spellings of one name ("Bob", "bob") are one person named twice.
		if (others.some((known) => known.id === other.id)) return { ok: false, reason: 'dm-duplicate' };
		others.push({ id: other.id, username: other.username });
	}
	const opened = await storage.rooms.openDm({
		me,
		others,
		key: dmKey(me.id, ...others.map((other) => other.id)),
		roomId: generateId(),
		name: dmName(me, others),
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
