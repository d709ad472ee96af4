import { fail, redirect } from '@sveltejs/kit';
import { logIn } from '$lib/server/auth';
import { safeRedirectPath } from '$lib/server/http';
import { LoginSchema, parseInput } from '$lib/server/schemas';
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
		const parsed = parseInput(LoginSchema, { username, password: form.get('password') });
		if (!parsed.ok) {
			return fail(400, { message: parsed.message, fields: parsed.fields, values });
		}
		const result = await logIn({ cookies, clientAddress: getClientAddress() }, parsed.data);
		if (!result.ok) {
			return fail(result.status, { message: result.message, fields: {}, values });
		}
		redirect(303, safeRedirectPath(url.searchParams.get('redirectTo')));
	}
} satisfies Actions;
