/**
 * GET /api/search?q=<text>&limit=20: messages in the caller's current rooms that contain every
 * word of q (as a word prefix), newest first (docs/design.md, "Search").
 */
import { json } from '@sveltejs/kit';
import { searchTerms } from '$lib/search';
import { jsonError, requireApiUser } from '$lib/server/http';
import { SearchQueryError } from '$lib/server/storage/errors';
import { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, searchMessages } from '$lib/server/search';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const terms = searchTerms(event.url.searchParams.get('q') ?? '');
	if (terms.length === 0) return jsonError(400, 'Type something to search for (q).');
	const rawLimit = event.url.searchParams.get('limit');
	const limit = rawLimit === null ? SEARCH_LIMIT_DEFAULT : Number(rawLimit);
	if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_LIMIT_MAX) {
		return jsonError(400, `limit must be a whole number from 1 to ${SEARCH_LIMIT_MAX}.`);
	}
	try {
		return json({
			results: await searchMessages(
				event.locals.services.storage.search,
				auth.user.id,
				terms,
				limit
			)
		});
	} catch (error) {
		// Terms are quoted, so this is rare (e.g. a term FTS5 tokenizes to nothing special).
		if (error instanceof SearchQueryError)
			return jsonError(400, 'That search could not be understood.');
		throw error;
	}
};
