/**
 * Search without the server: the rooms this browser holds replicas of (y-indexeddb databases
 * named `parley:<userId>:<roomId>`, see room.svelte.ts), each loaded into a throwaway Y.Doc and
 * searched by substring. Room and author names come from what the pages saved in localStorage.
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { parseMessage, shortId } from '$lib/client/messages';
import { parseSavedRooms, roomsKey } from '$lib/client/offline-data';
import { makeSnippet, matchesAllTerms, type SearchHit } from '$lib/search';

function savedAuthorNames(userId: string, roomId: string): Map<string, string> {
	const names = new Map<string, string>();
	try {
		const data: unknown = JSON.parse(
			localStorage.getItem(`parley:members:${userId}:${roomId}`) ?? 'null'
		);
		const members = (data as { members?: unknown } | null)?.members;
		if (!Array.isArray(members)) return names;
		for (const member of members as unknown[]) {
			const { id, username } = (member ?? {}) as Record<string, unknown>;
			if (typeof id === 'string' && typeof username === 'string') names.set(id, username);
		}
	} catch {
		/* nothing usable saved */
	}
	return names;
}

/** The current text of each message: edits applied, deleted ones absent. */
function currentTexts(doc: Y.Doc): { id: string; author: string; text: string; ts: number }[] {
	const changes = doc.getMap<unknown>('changes');
	const found = [];
	for (const value of doc.getArray<unknown>('messages').toArray()) {
		const message = parseMessage(value);
		if (!message) continue;
		const change = changes.get(message.id) as { text?: unknown; deleted?: unknown } | undefined;
		if (change?.deleted === true) continue;
		const text = typeof change?.text === 'string' ? change.text : message.text;
		found.push({ id: message.id, author: message.author, text, ts: message.ts });
	}
	return found;
}

async function searchReplica(
	name: string,
	terms: readonly string[]
): Promise<ReturnType<typeof currentTexts>> {
	const doc = new Y.Doc();
	const persistence = new IndexeddbPersistence(name, doc);
	try {
		await persistence.whenSynced;
		return currentTexts(doc).filter((message) => matchesAllTerms(message.text, terms));
	} finally {
		await persistence.destroy();
		doc.destroy();
	}
}

/** Messages in this browser's replicas of `userId`'s rooms containing every term, newest first. */
export async function searchLocalReplicas(
	userId: string,
	terms: readonly string[],
	limit: number
): Promise<SearchHit[]> {
	const prefix = `parley:${userId}:`;
	const names = (await indexedDB.databases())
		.map((info) => info.name)
		.filter((name): name is string => typeof name === 'string' && name.startsWith(prefix));
	const roomNames = new Map(
		(parseSavedRooms(localStorage.getItem(roomsKey(userId)))?.rooms ?? []).map((room) => [
			room.id,
			room.name
		])
	);
	const hits: SearchHit[] = [];
	for (const name of names) {
		const roomId = name.slice(prefix.length);
		const authors = savedAuthorNames(userId, roomId);
		for (const message of await searchReplica(name, terms)) {
			hits.push({
				roomId,
				roomName: roomNames.get(roomId) ?? `Room ${shortId(roomId)}`,
				messageId: message.id,
				author: message.author,
				authorName: authors.get(message.author) ?? null,
				text: message.text,
				snippet: makeSnippet(message.text, terms),
				ts: message.ts
			});
		}
	}
	return hits.sort((a, b) => b.ts - a.ts).slice(0, limit);
}
