/**
 * GET /api/search?q=<text>&limit=20&room=<roomId>&author=<name>&from=<ms>&to=<ms>: messages
 * in the caller's current rooms that contain every word of q (as a word prefix), narrowed by
 * the optional filters, newest first (docs/design.md, "Search"). `author` is a username or a
 * display name.
 */
import { json } from '@sveltejs/kit';
import { searchTerms } from '$lib/search';
import { jsonError, requireApiUser } from '$lib/server/http';
import { SearchQuerySchema, parseInput } from '$lib/server/schemas';
import { SearchQueryError } from '$lib/server/storage/errors';
import { SEARCH_LIMIT_DEFAULT, searchMessages } from '$lib/server/search';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const parsed = parseInput(SearchQuerySchema, Object.fromEntries(event.url.searchParams));
	if (!parsed.ok) return jsonError(400, parsed.message);
	const { q, limit = SEARCH_LIMIT_DEFAULT, room, author, from, to } = parsed.data;
	const terms = searchTerms(q);
	if (terms.length === 0) return jsonError(400, 'Type something to search for (q).');
	const { storage } = event.locals.services;
	try {
		return json({
			results: await searchMessages(storage.search, auth.user.id, terms, limit, {
				roomId: room,
				author,
				fromTs: from,
				toTs: to
			})
		});
	} catch (error) {
		// Terms are quoted, so this is rare (e.g. a term FTS5 tokenizes to nothing special).
		if (error instanceof SearchQueryError)
			return jsonError(400, 'That search could not be understood.');
		throw error;
	}
};
