/**
 * Search without the server: the rooms this browser holds replicas of (y-indexeddb databases
 * named `parley:<userId>:<roomId>[:e<epoch>]`, see local-replica.ts; the newest epoch's per
 * room), each loaded into a throwaway Y.Doc and searched by substring, and the sealed history
 * segments kept in IndexedDB (segments.ts), with the head's edits and deletes applied. Room and
 * author names come from what the pages saved in localStorage.
 *
 * Encrypted rooms (docs/design.md "Encrypted rooms") are searched only here, online or not: the
 * server holds their ciphertext only. `codecOf` gives a room's keys; a message this device cannot
 * open is left out.
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { shownName } from '$lib/client/avatars';
import { parseReplicaDatabaseName } from '$lib/client/local-replica';
import { parseChange, parseMessage, shortId, type ChatMessage } from '$lib/client/messages';
import { cachedSegments, type Segment } from '$lib/client/segments';
import { parseSavedRooms, roomsKey } from '$lib/client/offline-data';
import type { ContentCodec } from '$lib/client/room-keys';
import {
	makeSnippet,
	matchesAllTerms,
	matchesFilters,
	type SearchFilterQuery,
	type SearchHit
} from '$lib/search';

interface SavedAuthor {
	readonly username: string;
	/** '' for none. */
	readonly displayName: string;
}

export interface LocalSearchOptions {
	/** Only messages of encrypted rooms (the server searched the others). */
	readonly encryptedOnly?: boolean;
	/** A room's keys, or null when this device has none. */
	readonly codecOf?: (roomId: string) => Promise<ContentCodec | null>;
}

/** What the room page saved of its members: id -> their username and display name. */
function savedAuthorNames(userId: string, roomId: string): Map<string, SavedAuthor> {
	const names = new Map<string, SavedAuthor>();
	try {
		const data: unknown = JSON.parse(
			localStorage.getItem(`parley:members:${userId}:${roomId}`) ?? 'null'
		);
		const members = (data as { members?: unknown } | null)?.members;
		if (!Array.isArray(members)) return names;
		for (const member of members as unknown[]) {
			const { id, username, displayName } = (member ?? {}) as Record<string, unknown>;
			if (typeof id !== 'string' || typeof username !== 'string') continue;
			const shown = typeof displayName === 'string' ? displayName.trim() : '';
			names.set(id, { username, displayName: shown });
		}
	} catch {
		/* nothing usable saved */
	}
	return names;
}

interface Found {
	id: string;
	author: string;
	text: string;
	ts: number;
}

/**
 * The current text of each message: edits applied, deleted ones absent. `changes` is the head's
 * map, which holds the edits of sealed messages too.
 */
function currentTexts(
	messages: Iterable<ChatMessage>,
	changes: Y.Map<unknown> | null,
	codec: ContentCodec | null,
	encryptedOnly: boolean
): Found[] {
	const found = [];
	for (const message of messages) {
		const change = changes === null ? null : parseChange(changes.get(message.id));
		if (change?.deleted === true) continue;
		let text = change?.text ?? message.text;
		if (message.enc !== undefined) {
			const opened = codec?.openMessage(message);
			if (!opened?.ok) continue;
			text = opened.value.text;
			if (change?.enc !== undefined && codec) {
				const edit = codec.openChange(message.id, message.author, change);
				if (edit.ok) text = edit.value.text;
			}
		} else if (encryptedOnly) {
			continue;
		}
		found.push({ id: message.id, author: message.author, text, ts: message.ts });
	}
	return found;
}

function* headMessages(doc: Y.Doc): Generator<ChatMessage> {
	for (const value of doc.getArray<unknown>('messages').toArray()) {
		const message = parseMessage(value);
		if (message) yield message;
	}
}

function* segmentMessages(segments: readonly Segment[]): Generator<ChatMessage> {
	for (const segment of segments) yield* segment.messages;
}

async function searchRoom(
	replicaName: string | null,
	segments: readonly Segment[],
	terms: readonly string[],
	codec: ContentCodec | null,
	encryptedOnly: boolean
): Promise<Found[]> {
	const doc = new Y.Doc();
	const persistence = replicaName === null ? null : new IndexeddbPersistence(replicaName, doc);
	try {
		await persistence?.whenSynced;
		const changes = persistence === null ? null : doc.getMap<unknown>('changes');
		const found = [
			...currentTexts(segmentMessages(segments), changes, codec, encryptedOnly),
			...currentTexts(headMessages(doc), changes, codec, encryptedOnly)
		];
		return found.filter((message) => matchesAllTerms(message.text, terms));
	} finally {
		await persistence?.destroy();
		doc.destroy();
	}
}

/** Each room's newest replica database of `userId`'s. */
async function newestReplicas(userId: string): Promise<Map<string, string>> {
	const newest = new Map<string, { epoch: number; name: string }>();
	for (const { name } of await indexedDB.databases()) {
		const parsed = name === undefined ? null : parseReplicaDatabaseName(userId, name);
		if (parsed === null || name === undefined) continue;
		const known = newest.get(parsed.roomId);
		if (!known || known.epoch < parsed.epoch)
			newest.set(parsed.roomId, { epoch: parsed.epoch, name });
	}
	return new Map([...newest].map(([roomId, { name }]) => [roomId, name]));
}

/**
 * Messages in this browser's replicas of `userId`'s rooms containing every term, narrowed by
 * `filters`, newest first.
 */
export async function searchLocalReplicas(
	userId: string,
	terms: readonly string[],
	limit: number,
	filters: SearchFilterQuery = {},
	options: LocalSearchOptions = {}
): Promise<SearchHit[]> {
	const replicas = await newestReplicas(userId);
	const segments = await cachedSegments(userId).catch(() => new Map<string, Segment[]>());
	const roomNames = new Map(
		(parseSavedRooms(localStorage.getItem(roomsKey(userId)))?.rooms ?? []).map((room) => [
			room.id,
			room.name
		])
	);
	const hits: SearchHit[] = [];
	for (const roomId of new Set([...replicas.keys(), ...segments.keys()])) {
		if (filters.room !== undefined && roomId !== filters.room) continue;
		const authors = savedAuthorNames(userId, roomId);
		const codec = (await options.codecOf?.(roomId)) ?? null;
		const found = await searchRoom(
			replicas.get(roomId) ?? null,
			segments.get(roomId) ?? [],
			terms,
			codec,
			options.encryptedOnly === true
		);
		for (const message of found) {
			const person = authors.get(message.author);
			const hit: SearchHit = {
				roomId,
				roomName: roomNames.get(roomId) ?? `Room ${shortId(roomId)}`,
				messageId: message.id,
				author: message.author,
				authorName: person ? shownName(person) : null,
				text: message.text,
				snippet: makeSnippet(message.text, terms),
				ts: message.ts
			};
			const names = person ? [person.username, person.displayName] : [];
			if (matchesFilters(hit, filters, names)) hits.push(hit);
		}
	}
	return hits.sort((a, b) => b.ts - a.ts).slice(0, limit);
}
