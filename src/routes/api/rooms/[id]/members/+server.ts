import { json } from '@sveltejs/kit';
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { addMember, listMembers } from '$lib/server/memberships';
import { AddMemberSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await listMembers(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id
	);
	if (!result.ok) return membershipError(result.reason);
	return json({ members: result.value });
};

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, AddMemberSchema);
	if (!body.ok) return body.response;
	const result = await addMember(
		event.locals.services.storage,
		event.params.id,
		auth.user.id,
		body.data.username
	);
	if (!result.ok) return membershipError(result.reason);
	return json(result.value, { status: 201 });
};
