import { json } from '@sveltejs/kit';
import { readJsonBody, requireApiUser } from '$lib/server/http';
import { setDefaultLevel } from '$lib/server/notification-levels';
import { DefaultLevelSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

/** The caller's default notification level (docs/design.md "Notification levels"). */
export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const defaultLevel = await event.locals.services.storage.summaries.defaultLevelOf(auth.user.id);
	return json({ defaultLevel });
};

export const PUT: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, DefaultLevelSchema);
	if (!body.ok) return body.response;
	const { storage, events } = event.locals.services;
	await setDefaultLevel(storage, events, auth.user.id, body.data.defaultLevel);
	return json({ defaultLevel: body.data.defaultLevel });
};
