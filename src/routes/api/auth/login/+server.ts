import { json } from '@sveltejs/kit';
import { logIn } from '$lib/server/auth';
import { jsonError, readJsonBody, tooManyRequests } from '$lib/server/http';
import { LoginSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async ({ request, cookies, getClientAddress, locals }) => {
	const body = await readJsonBody(request, LoginSchema);
	if (!body.ok) return body.response;
	const result = await logIn(
		{ services: locals.services, cookies, clientAddress: getClientAddress() },
		body.data
	);
	if (result.ok) return json({ id: result.user.id, username: result.user.username });
	if (result.status === 429) return tooManyRequests(result.retryAfterSeconds);
	return jsonError(result.status, result.message);
};
