import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

/** Signed-out visitors go to log in and come back here. */
export const load: PageServerLoad = ({ locals, url }) => {
	if (!locals.user) redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname)}`);
	return {};
};
