import { fail, redirect } from '@sveltejs/kit';
import { signedIn } from '$lib/server/form-actions';
import { changeDisplayName } from '$lib/server/profiles';
import { ProfileSchema, parseInput } from '$lib/server/schemas';
import type { Actions, PageServerLoad } from './$types';

/** Signed-out visitors go to log in and come back here. */
export const load: PageServerLoad = async ({ locals, url }) => {
	if (!locals.user) redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname)}`);
	const profile = await locals.services.storage.accounts.getProfile(locals.user.id);
	return {
		profile: {
			id: locals.user.id,
			username: locals.user.username,
			displayName: profile?.displayName ?? '',
			avatar: profile?.avatar ?? null
		}
	};
};

export const actions = {
	default: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const parsed = parseInput(ProfileSchema, {
			displayName: (await request.formData()).get('displayName')
		});
		if (!parsed.ok) return fail(400, { message: parsed.message });
		const { storage, events } = locals.services;
		await changeDisplayName(storage.accounts, events, user.id, parsed.data.displayName);
		return { saved: true };
	}
} satisfies Actions;
