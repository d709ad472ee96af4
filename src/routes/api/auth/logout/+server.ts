import { logOut } from '$lib/server/auth';
import type { RequestHandler } from './$types';

/** Idempotent: without a session there is nothing to end, and the answer is the same. */
export const POST: RequestHandler = async ({ cookies, locals }) => {
	logOut(cookies, locals.session?.id);
	return new Response(null, { status: 204 });
};
