import { fail, redirect } from '@sveltejs/kit';
import { acceptDmRequest, declineDmRequest, openDm } from '$lib/server/dms';
import { failAction, readChosenId } from '$lib/server/form-actions';
import { describeFailure } from '$lib/server/http';
import { OpenDmSchema, parseInput } from '$lib/server/schemas';
import type { User } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** Signed-out visitors go to log in and come back here. */
function signedIn(user: User | null): User {
	if (!user) redirect(303, '/login?redirectTo=%2Fdms');
	return user;
}

export const load: PageServerLoad = async ({ locals }) => {
	const user = signedIn(locals.user);
	const { rooms } = locals.services.storage;
	return { dms: await rooms.listDms(user.id), requests: await rooms.listDmRequests(user.id) };
};

export const actions = {
	open: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const field = (await request.formData()).get('username');
		const values = { username: typeof field === 'string' ? field : '' };
		// One name opens a DM of two; several (commas or spaces between them) a group DM.
		const names = values.username.split(/[\s,]+/).filter((name) => name !== '');
		const parsed = parseInput(
			OpenDmSchema,
			names.length > 1 ? { usernames: names } : { username: names[0] ?? '' }
		);
		if (!parsed.ok) return fail(400, { action: 'open' as const, message: parsed.message, values });
		const result = await openDm(
			locals.services.storage,
			user,
			parsed.data.usernames,
			Date.now(),
			() => locals.services.limits.dms.consume(user.id)
		);
		if (!result.ok) {
			const { status, message } =
				result.reason === 'rate-limited'
					? {
							status: 429,
							message: 'You started many conversations recently. Try again later.'
						}
					: describeFailure(result.reason);
			return fail(status, { action: 'open' as const, message, values });
		}
		redirect(303, `/rooms/${result.room.id}`);
	},
	accept: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const chosen = await readChosenId(request, 'roomId', 'accept', 'Choose a request.');
		if (!chosen.ok) return chosen.failure;
		const result = await acceptDmRequest(locals.services.storage.rooms, chosen.id, user.id);
		if (!result.ok) return failAction('accept', result.reason);
		redirect(303, `/rooms/${result.room.id}`);
	},
	decline: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const chosen = await readChosenId(request, 'roomId', 'decline', 'Choose a request.');
		if (!chosen.ok) return chosen.failure;
		const result = await declineDmRequest(locals.services.storage.rooms, chosen.id, user.id);
		if (!result.ok) return failAction('decline', result.reason);
		return { action: 'decline' as const, declined: chosen.id };
	}
} satisfies Actions;
