/**
 * Rules every storage implementation applies inside its own transactions (where checking them
 * outside would race). Pure: no I/O.
 */
import type { DmPerson, Invite, InviteState, Profile } from './types';

/** Whether an invite still admits people at `now`; a revoked one says so first. */
export function inviteState(invite: Invite, now: number): InviteState {
	if (invite.revokedAt !== null) return 'revoked';
	if (now >= invite.expiresAt) return 'expired';
	if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'used-up';
	return 'active';
}

/** The user ids of a DM's set: its `dm_key` is every id, sorted, joined by ':' (ids hold none). */
export function dmKeyIds(key: string): string[] {
	return key.split(':');
}

/**
 * The other people of a DM of set `key` as `viewerId` sees them, by username (then id):
 * `users` holds at least each of them (with their display names), `pendingIds` who still have a request waiting.
 */
export function dmOthers(
	key: string,
	viewerId: string,
	users: ReadonlyMap<string, Profile>,
	pendingIds: ReadonlySet<string>
): DmPerson[] {
	const people: DmPerson[] = [];
	for (const id of dmKeyIds(key)) {
		if (id === viewerId) continue;
		const user = users.get(id);
		if (user) {
			const { username, displayName } = user;
			people.push({ id, username, displayName, pending: pendingIds.has(id) });
		}
	}
	return people.sort(
		(a, b) =>
			a.username.toLowerCase().localeCompare(b.username.toLowerCase()) ||
			(a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
	);
}
