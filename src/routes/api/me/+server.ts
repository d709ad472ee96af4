import { json } from '@sveltejs/kit';
import { requireApiUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	return json({ id: auth.user.id, username: auth.user.username });
};
