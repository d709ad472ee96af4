import { fail, redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { listDms, openDm } from '$lib/server/dms';
import { describeFailure } from '$lib/server/http';
import { OpenDmSchema, parseInput } from '$lib/server/schemas';
import type { User } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** Signed-out visitors go to log in and come back here. */
function signedIn(user: User | null): User {
	if (!user) redirect(303, '/login?redirectTo=%2Fdms');
	return user;
}

export const load: PageServerLoad = ({ locals }) => {
	const user = signedIn(locals.user);
	return { dms: listDms(getDb(), user.id) };
};

export const actions = {
	default: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const username = (await request.formData()).get('username');
		const values = { username: typeof username === 'string' ? username : '' };
		const parsed = parseInput(OpenDmSchema, { username });
		if (!parsed.ok) return fail(400, { message: parsed.message, values });
		const result = openDm(getDb(), user, parsed.data.username);
		if (!result.ok) {
			const { status, message } = describeFailure(result.reason);
			return fail(status, { message, values });
		}
		redirect(303, `/rooms/${result.room.id}`);
	}
} satisfies Actions;
