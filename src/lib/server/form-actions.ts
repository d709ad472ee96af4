/**
 * What the pages' form actions share: the signed-in user, and the failures they answer with.
 * Every failure carries `action` (which form on the page it belongs to), a message and `fields`
 * (always a record, so the page sees one shape).
 */
import { error, fail, type ActionFailure } from '@sveltejs/kit';
import { describeFailure, type Failure } from './http';
import type { User } from './session';

/** hooks.server.ts already sends signed-out visitors to /login; this only narrows the type. */
export function signedIn(user: User | null): User {
	if (!user) error(401, 'You are not logged in.');
	return user;
}

export interface FormFailure<A extends string> {
	readonly action: A;
	readonly message: string;
	readonly fields: Record<string, string>;
}

/** A domain failure, with the status and message the JSON API gives it too. */
export function failAction<A extends string>(
	action: A,
	reason: Failure
): ActionFailure<FormFailure<A>> {
	const { status, message } = describeFailure(reason);
	return fail(status, { action, message, fields: {} });
}

/**
 * The id a button form posts in `name` (a room, a member, an invite), or a 400 failure saying
 * `missing` when it is absent or empty.
 */
export async function readChosenId<A extends string>(
	request: Request,
	name: string,
	action: A,
	missing: string
): Promise<{ ok: true; id: string } | { ok: false; failure: ActionFailure<FormFailure<A>> }> {
	const id = (await request.formData()).get(name);
	if (typeof id === 'string' && id !== '') return { ok: true, id };
	return { ok: false, failure: fail(400, { action, message: missing, fields: {} }) };
}
