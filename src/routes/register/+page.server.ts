import { fail, redirect } from '@sveltejs/kit';
import { signUp } from '$lib/server/auth';
import { safeRedirectPath } from '$lib/server/http';
import { parseInput, RegisterSchema } from '$lib/server/schemas';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = safeRedirectPath(url.searchParams.get('redirectTo'));
	if (locals.user) redirect(303, redirectTo);
	return { redirectTo };
};

export const actions = {
	default: async ({ request, cookies, getClientAddress, url }) => {
		const form = await request.formData();
		const username = form.get('username');
		const values = { username: typeof username === 'string' ? username : '' };
		const parsed = parseInput(RegisterSchema, { username, password: form.get('password') });
		if (!parsed.ok) {
			return fail(400, { message: parsed.message, fields: parsed.fields, values });
		}
		const result = await signUp({ cookies, clientAddress: getClientAddress() }, parsed.data);
		if (!result.ok) {
			// A taken name is a problem with the username field; a rate limit is not.
			const fields: Record<string, string> =
				result.status === 409 ? { username: result.message } : {};
			return fail(result.status, { message: result.message, fields, values });
		}
		redirect(303, safeRedirectPath(url.searchParams.get('redirectTo')));
	}
} satisfies Actions;
