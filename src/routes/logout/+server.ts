import { redirect } from '@sveltejs/kit';
import { logOut } from '$lib/server/auth';
import type { RequestHandler } from './$types';

/** The header's "Log out" form posts here; a plain POST keeps it working without JavaScript. */
export const POST: RequestHandler = async ({ cookies, locals }) => {
	await logOut(locals.services, cookies, locals.session?.id);
	redirect(303, '/login');
};
