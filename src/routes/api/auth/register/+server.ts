import { json } from '@sveltejs/kit';
import { signUp } from '$lib/server/auth';
import { jsonError, readJsonBody, tooManyRequests } from '$lib/server/http';
import { RegisterSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async ({ request, cookies, getClientAddress, locals }) => {
	const body = await readJsonBody(request, RegisterSchema);
	if (!body.ok) return body.response;
	const result = await signUp(
		{ services: locals.services, cookies, clientAddress: getClientAddress() },
		body.data
	);
	if (result.ok)
		return json({ id: result.user.id, username: result.user.username }, { status: 201 });
	if (result.status === 429) return tooManyRequests(result.retryAfterSeconds);
	return jsonError(result.status, result.message);
};
