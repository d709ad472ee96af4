/**
 * Memberships that begin tell the sync server (`membership-added`), so the user's summary
 * channel lists the room at once on every device (docs/design.md "Summary channel"). The
 * composition root wraps `storage.rooms` once, so every way in — creating a room, joining,
 * being added, accepting an invite, opening or accepting a DM — is covered without each route
 * remembering to emit. Removals are emitted by memberships.ts (`membership-revoked`).
 */
import type { ServerEvents } from './events';
import type { RoomStorage, Storage } from './storage/types';

export function withMembershipEvents(
	storage: Storage,
	events: Pick<ServerEvents, 'emit'>
): Storage {
	const rooms = storage.rooms;
	const added = (roomId: string, userId: string): void => {
		events.emit('membership-added', { roomId, userId });
	};
	const overrides: Partial<RoomStorage> = {
		async create(input) {
			const room = await rooms.create(input);
			added(room.id, input.ownerId);
			return room;
		},
		async addMember(roomId, userId, now) {
			await rooms.addMember(roomId, userId, now);
			added(roomId, userId);
		},
		async acceptInvite(tokenHash, userId, now) {
			const outcome = await rooms.acceptInvite(tokenHash, userId, now);
			if (outcome.status === 'joined') added(outcome.room.id, userId);
			return outcome;
		},
		async openDm(input) {
			const outcome = await rooms.openDm(input);
			if (outcome.status === 'opened') {
				// Those who got a request become members (and hear of it) when they accept.
				for (const userId of new Set([input.me.id, ...outcome.joined])) {
					added(outcome.room.id, userId);
				}
			}
			return outcome;
		},
		async acceptDmRequest(roomId, userId, now) {
			const room = await rooms.acceptDmRequest(roomId, userId, now);
			if (room) added(room.id, userId);
			return room;
		}
	};
	// A proxy, so the other methods stay the implementation's own (whatever it is built as).
	const wrapped = new Proxy(rooms, {
		get(target, key) {
			const own = overrides[key as keyof RoomStorage];
			if (own) return own;
			const value: unknown = Reflect.get(target, key);
			return typeof value === 'function' ? value.bind(target) : value;
		}
	});
	return new Proxy(storage, {
		get(target, key) {
			if (key === 'rooms') return wrapped;
			const value: unknown = Reflect.get(target, key);
			return typeof value === 'function' ? value.bind(target) : value;
		}
	});
}
