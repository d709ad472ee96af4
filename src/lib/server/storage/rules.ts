/**
 * Rules every storage implementation applies inside its own transactions (where checking them
 * outside would race). Pure: no I/O.
 */
import type { Invite, InviteState } from './types';

/** Whether an invite still admits people at `now`; a revoked one says so first. */
export function inviteState(invite: Invite, now: number): InviteState {
	if (invite.revokedAt !== null) return 'revoked';
	if (now >= invite.expiresAt) return 'expired';
	if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'used-up';
	return 'active';
}
