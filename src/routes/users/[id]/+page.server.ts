import { error } from '@sveltejs/kit';
import { signedIn } from '$lib/server/form-actions';
import type { PageServerLoad } from './$types';

/** A user's profile: their name; their keys and the safety number are the browser's work. */
export const load: PageServerLoad = async ({ locals, params }) => {
	const viewer = signedIn(locals.user);
	const user = await locals.services.storage.accounts.getUser(params.id);
	if (!user) error(404, 'No such user.');
	return { viewer: { id: viewer.id }, contact: { id: user.id, username: user.username } };
};
