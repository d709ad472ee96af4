import { error, fail, redirect } from '@sveltejs/kit';
import { failAction, readChosenId, signedIn } from '$lib/server/form-actions';
import { describeFailure } from '$lib/server/http';
import { createInvite, inviteUrl, listActiveInvites, revokeInvite } from '$lib/server/invites';
import { addMember, listBans, listMembers, removeMember, unbanUser } from '$lib/server/memberships';
import { changeRoomSettings } from '$lib/server/room-settings';
import {
	AddMemberSchema,
	INVITE_HOURS_DEFAULT,
	RoomSettingsSchema,
	parseInput
} from '$lib/server/schemas';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
	const user = signedIn(locals.user);
	const { rooms } = locals.services.storage;
	const room = await rooms.get(params.id);
	const members = await listMembers(rooms, params.id, user.id);
	if (!room || !members.ok) {
		const { status, message } = describeFailure(members.ok ? 'room-not-found' : members.reason);
		error(status, message);
	}
	const role = await rooms.membership(params.id, user.id);
	const invites = await listActiveInvites(rooms, params.id, user.id);
	const bans = await listBans(rooms, params.id, user.id);
	return {
		room: {
			id: room.id,
			name: room.name,
			visibility: room.visibility,
			kind: room.kind,
			topic: room.topic,
			archived: room.archivedAt !== null
		},
		members: members.value,
		isOwner: role === 'owner',
		// Only the owner of an ordinary room sees (and manages) its invites.
		invites: invites.ok
			? invites.value.map((invite) => ({
					id: invite.id,
					expiresAt: new Date(invite.expiresAt).toISOString(),
					uses: invite.uses,
					maxUses: invite.maxUses
				}))
			: null,
		// Only the owner of an ordinary room sees (and lifts) its bans.
		bans: bans.ok ? bans.value.map((ban) => ({ id: ban.id, username: ban.username })) : null
	};
};

export const actions = {
	add: async ({ request, locals, params }) => {
		const user = signedIn(locals.user);
		const username = (await request.formData()).get('username');
		const values = { username: typeof username === 'string' ? username : '' };
		const parsed = parseInput(AddMemberSchema, { username });
		if (!parsed.ok) {
			return fail(400, {
				action: 'add' as const,
				message: parsed.message,
				fields: parsed.fields,
				values
			});
		}
		const result = await addMember(
			locals.services.storage,
			params.id,
			user.id,
			parsed.data.username
		);
		if (!result.ok) {
			const { status, message } = describeFailure(result.reason);
			return fail(status, {
				action: 'add' as const,
				message,
				fields: { username: message } as Record<string, string>,
				values
			});
		}
		return { action: 'add' as const, added: result.value.username };
	},
	remove: async ({ request, locals, params }) => {
		const user = signedIn(locals.user);
		const chosen = await readChosenId(request, 'userId', 'remove', 'Choose a member to remove.');
		if (!chosen.ok) return chosen.failure;
		const userId = chosen.id;
		const { storage, events } = locals.services;
		const result = await removeMember(storage.rooms, events, params.id, user.id, userId);
		if (!result.ok) return failAction('remove', result.reason);
		// Leaving the room ends access to this page too.
		if (userId === user.id) redirect(303, '/');
		return { action: 'remove' as const, removed: userId };
	},
	unban: async ({ request, locals, params }) => {
		const user = signedIn(locals.user);
		const chosen = await readChosenId(request, 'userId', 'unban', 'Choose a user to unban.');
		if (!chosen.ok) return chosen.failure;
		const result = await unbanUser(locals.services.storage.rooms, params.id, user.id, chosen.id);
		if (!result.ok) return failAction('unban', result.reason);
		return { action: 'unban' as const, unbanned: chosen.id };
	},
	settings: async ({ request, locals, params }) => {
		const user = signedIn(locals.user);
		const form = await request.formData();
		const parsed = parseInput(RoomSettingsSchema, {
			name: form.get('name'),
			topic: form.get('topic')
		});
		if (!parsed.ok) {
			const { message, fields } = parsed;
			return fail(400, { action: 'settings' as const, message, fields });
		}
		const { storage, events } = locals.services;
		const result = await changeRoomSettings(storage.rooms, events, params.id, user.id, parsed.data);
		if (!result.ok) return failAction('settings', result.reason);
		return { action: 'settings' as const, saved: true };
	},
	archive: async ({ request, locals, params }) => {
		const user = signedIn(locals.user);
		const archived = (await request.formData()).get('archived') === 'true';
		const { storage, events } = locals.services;
		const result = await changeRoomSettings(storage.rooms, events, params.id, user.id, {
			archived
		});
		if (!result.ok) return failAction('archive', result.reason);
		return { action: 'archive' as const, archived };
	},
	invite: async ({ locals, params }) => {
		const user = signedIn(locals.user);
		const result = await createInvite(locals.services.storage.rooms, params.id, user.id, {
			expiresInHours: INVITE_HOURS_DEFAULT
		});
		if (!result.ok) return failAction('invite', result.reason);
		const { invite, token } = result.value;
		return {
			action: 'invite' as const,
			url: inviteUrl(locals.services.config.ORIGIN, token),
			expiresAt: new Date(invite.expiresAt).toISOString()
		};
	},
	revokeInvite: async ({ request, locals, params }) => {
		const user = signedIn(locals.user);
		const chosen = await readChosenId(
			request,
			'inviteId',
			'revokeInvite',
			'Choose an invite to revoke.'
		);
		if (!chosen.ok) return chosen.failure;
		const inviteId = chosen.id;
		const result = await revokeInvite(locals.services.storage.rooms, params.id, user.id, inviteId);
		if (!result.ok) return failAction('revokeInvite', result.reason);
		return { action: 'revokeInvite' as const, revoked: inviteId };
	}
} satisfies Actions;
