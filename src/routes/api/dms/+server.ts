import { json } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { listDms, openDm } from '$lib/server/dms';
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { OpenDmSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	return json({ dms: listDms(getDb(), auth.user.id) });
};

/** Opens the DM with a user: 201 when it is new, 200 when the pair already had one. */
export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, OpenDmSchema);
	if (!body.ok) return body.response;
	const result = openDm(getDb(), auth.user, body.data.username);
	if (!result.ok) return membershipError(result.reason);
	const { room, created } = result;
	return json(
		{ id: room.id, name: room.name, visibility: room.visibility, kind: room.kind },
		{ status: created ? 201 : 200 }
	);
};
