/**
 * The login and register pages: one load (already signed in → go on) and one form action
 * (validate, run the auth step, answer `fail` with the typed username kept, or redirect).
 */
import { fail, redirect, type ActionFailure, type RequestEvent } from '@sveltejs/kit';
import type { z } from 'zod';
import type { AuthContext, AuthResult } from './auth';
import { safeRedirectPath } from './http';
import { parseInput } from './schemas';

export function loadCredentialsPage({ locals, url }: Pick<RequestEvent, 'locals' | 'url'>): {
	redirectTo: string;
} {
	const redirectTo = safeRedirectPath(url.searchParams.get('redirectTo'));
	if (locals.user) redirect(303, redirectTo);
	return { redirectTo };
}

type AuthFailure = Extract<AuthResult, { ok: false }>;

/** What the page gets back in `form` when the action fails. */
export interface CredentialsFailure {
	readonly message: string;
	readonly fields: Record<string, string>;
	readonly values: { readonly username: string };
}

export interface CredentialsActionOptions<T> {
	readonly schema: z.ZodType<T>;
	readonly run: (context: AuthContext, input: T) => Promise<AuthResult>;
	/** Which form fields a failure of `run` points at; none unless said. */
	readonly failureFields?: (failure: AuthFailure) => Record<string, string>;
}

export function credentialsAction<T>(
	options: CredentialsActionOptions<T>
): (event: RequestEvent) => Promise<ActionFailure<CredentialsFailure>> {
	return async ({ request, cookies, getClientAddress, url, locals }) => {
		const form = await request.formData();
		const username = form.get('username');
		const values = { username: typeof username === 'string' ? username : '' };
		const parsed = parseInput(options.schema, { username, password: form.get('password') });
		if (!parsed.ok) {
			return fail(400, { message: parsed.message, fields: parsed.fields, values });
		}
		const context = { services: locals.services, cookies, clientAddress: getClientAddress() };
		const result = await options.run(context, parsed.data);
		if (!result.ok) {
			const fields: Record<string, string> = options.failureFields?.(result) ?? {};
			return fail(result.status, { message: result.message, fields, values });
		}
		redirect(303, safeRedirectPath(url.searchParams.get('redirectTo')));
	};
}
