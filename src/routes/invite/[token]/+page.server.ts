import { error, fail, redirect } from '@sveltejs/kit';
import { describeFailure } from '$lib/server/http';
import { acceptInvite, checkInvite } from '$lib/server/invites';
import type { User } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** Signed-out visitors log in (or sign up) first and come back to the same link. */
function signedIn(user: User | null, token: string): User {
	if (!user) redirect(303, `/login?redirectTo=${encodeURIComponent(`/invite/${token}`)}`);
	return user;
}

export const load: PageServerLoad = async ({ locals, params }) => {
	const user = signedIn(locals.user, params.token);
	const { rooms } = locals.services.storage;
	const checked = await checkInvite(rooms, params.token);
	if (!checked.ok) {
		const { status, message } = describeFailure(checked.reason);
		error(status, message);
	}
	const { room } = checked.value;
	return {
		room: { id: room.id, name: room.name },
		alreadyMember: (await rooms.membership(room.id, user.id)) !== null
	};
};

export const actions = {
	default: async ({ locals, params }) => {
		const user = signedIn(locals.user, params.token);
		const result = await acceptInvite(locals.services.storage.rooms, params.token, user.id);
		if (!result.ok)
			return fail(describeFailure(result.reason).status, describeFailure(result.reason));
		redirect(303, `/rooms/${result.value.room.id}`);
	}
} satisfies Actions;
