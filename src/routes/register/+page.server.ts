import { signUp } from '$lib/server/auth';
import { credentialsAction, loadCredentialsPage } from '$lib/server/credentials-form';
import { RegisterSchema } from '$lib/server/schemas';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = loadCredentialsPage;

export const actions = {
	default: credentialsAction({
		schema: RegisterSchema,
		run: signUp,
		// A taken name is a problem with the username field; a rate limit is not.
		failureFields: (failure): Record<string, string> =>
			failure.status === 409 ? { username: failure.message } : {}
	})
} satisfies Actions;
