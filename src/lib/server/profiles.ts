/**
 * A user's profile (docs/design.md "Profiles"). Changing the display name or the picture tells
 * the sync server (`profile-changed`): the user's open sockets name their next messages with it,
 * the summaries that show them (a last message's author, a DM's title) are sent again, and the
 * people who share a room with them are told (`{ type: "profile" }`), so an open room shows the
 * new name and picture.
 */
import type { EventEmitter } from 'node:events';
import type { ProfileChanged } from './events';
import type { AccountStorage, Profile } from './storage/types';

type Events = Pick<EventEmitter<{ 'profile-changed': [ProfileChanged] }>, 'emit'>;

/** Sets the user's display name ('' for none); null when there is no such user. */
export async function changeDisplayName(
	accounts: AccountStorage,
	events: Events,
	userId: string,
	displayName: string
): Promise<Profile | null> {
	const profile = await accounts.setDisplayName(userId, displayName);
	if (profile) profileChanged(events, profile);
	return profile;
}

/** Tells the sync server that this profile changed (its name, its picture, or both). */
export function profileChanged(events: Events, profile: Profile): void {
	events.emit('profile-changed', { userId: profile.id, displayName: profile.displayName });
}
