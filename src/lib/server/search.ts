/**
 * Message search (docs/design.md, "Search"): the query behind GET /api/search, on
 * `storage.search`. The index itself is written by the sync server's indexer.
 */
import { makeSnippet, type SearchHit } from '../search';
import type { SearchFilters, SearchStorage } from './storage/types';

export type { IndexedMessage, MessageChange, SearchFilters } from './storage/types';

export const SEARCH_LIMIT_DEFAULT = 20;
export const SEARCH_LIMIT_MAX = 100;

/**
 * Messages matching every term in the rooms `userId` is a member of NOW, narrowed by `filters`,
 * newest first. The membership is part of the storage's query: nothing outside the user's rooms
 * is ever read out.
 * Throws SearchQueryError on terms the backend cannot parse (the caller answers 400).
 */
export async function searchMessages(
	search: SearchStorage,
	userId: string,
	terms: readonly string[],
	limit: number = SEARCH_LIMIT_DEFAULT,
	filters: SearchFilters = {}
): Promise<SearchHit[]> {
	const matches = await search.searchMessages(userId, terms, limit, filters);
	return matches.map((match) => ({
		roomId: match.roomId,
		roomName: match.roomName,
		messageId: match.messageId,
		author: match.author,
		authorName: match.authorName,
		text: match.text,
		snippet: makeSnippet(match.text, terms),
		ts: match.ts
	}));
}
