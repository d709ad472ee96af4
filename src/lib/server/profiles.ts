/**
 * A user's profile (docs/design.md "Profiles"). Changing the display name tells the sync server
 * (`profile-changed`): the user's open sockets name their next messages with it, and the
 * summaries that show them (a last message's author, a DM's title) are sent again.
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
	if (profile) events.emit('profile-changed', { userId, displayName: profile.displayName });
	return profile;
}
