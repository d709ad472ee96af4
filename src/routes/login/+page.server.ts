import { logIn } from '$lib/server/auth';
import { credentialsAction, loadCredentialsPage } from '$lib/server/credentials-form';
import { LoginSchema } from '$lib/server/schemas';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = loadCredentialsPage;

export const actions = {
	default: credentialsAction({ schema: LoginSchema, run: logIn })
} satisfies Actions;
