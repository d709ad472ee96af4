import { logOut } from '$lib/server/auth';
import type { RequestHandler } from './$types';

/** Idempotent: without a session there is nothing to end, and the answer is the same. */
export const POST: RequestHandler = async ({ cookies, locals }) => {
	await logOut(locals.services, cookies, locals.session?.id);
	return new Response(null, { status: 204 });
};
