import { messageId } from '../support/messages';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	highlightTerms,
	makeSnippet,
	matchesAllTerms,
	matchesFilters,
	searchTerms,
	toFtsQuery
} from '../../src/lib/search';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { createRoom } from '../../src/lib/server/rooms';
import { createSqliteStorage, type SqliteStorage } from '../../src/lib/server/storage/sqlite';
import { searchMessages } from '../../src/lib/server/search';
import {
	INDEX_CHUNK,
	createSearchIndexer,
	type IndexCounts,
	type SearchIndexer
} from '../../sync-server/search-indexer';
import { makeTempDir } from '../support/server';

describe('search terms and the FTS5 query', () => {
	it('splits on whitespace, drops double quotes and empty terms', async () => {
		expect(searchTerms('  hello   "big world" ')).toEqual(['hello', 'big', 'world']);
		expect(searchTerms(' " "" ')).toEqual([]);
	});

	it('quotes every term as a prefix match so operators are plain text', async () => {
		expect(toFtsQuery(['a', 'OR', 'NEAR(b'])).toBe('"a"* "OR"* "NEAR(b"*');
	});

	it('keeps at most 16 terms of at most 64 characters', async () => {
		const terms = searchTerms(
			`${'x'.repeat(100)} ${Array.from({ length: 30 }, (_, i) => `t${i}`).join(' ')}`
		);
		expect(terms).toHaveLength(16);
		expect(terms[0]).toHaveLength(64);
	});

	it('gives queries that SQLite FTS5 always parses, whatever the input', async () => {
		const db = openDatabase(':memory:');
		db.exec('CREATE VIRTUAL TABLE t USING fts5(text)');
		db.prepare('INSERT INTO t (text) VALUES (?)').run('cats AND dogs: (friends) ^ * - + "quoted"');
		const hostile = [
			'AND',
			'OR NOT',
			'col:x',
			'NEAR(a b)',
			'(',
			')',
			'*',
			'^x',
			'-x',
			'+',
			'a"b',
			"'",
			'{x}'
		];
		for (const input of hostile) {
			const terms = searchTerms(input);
			if (terms.length === 0) continue;
			expect(() =>
				db.prepare('SELECT * FROM t WHERE t MATCH ?').all(toFtsQuery(terms))
			).not.toThrow();
		}
		expect(
			db.prepare('SELECT * FROM t WHERE t MATCH ?').all(toFtsQuery(['AND', 'dog']))
		).toHaveLength(1);
		db.close();
	});
});

describe('the offline search’s author filter', () => {
	it('matches the username or the display name, ignoring case, and nobody else', () => {
		const hit = {
			roomId: 'r',
			roomName: 'Garden',
			messageId: 'm',
			author: 'u1',
			authorName: 'Bobby',
			text: 'hi',
			snippet: 'hi',
			ts: 1
		};
		expect(matchesFilters(hit, { author: 'BOB' }, ['bob', 'Bobby'])).toBe(true);
		expect(matchesFilters(hit, { author: 'bobby' }, ['bob', 'Bobby'])).toBe(true);
		expect(matchesFilters(hit, { author: 'bo' }, ['bob', 'Bobby'])).toBe(false);
		// Without a display name its '' matches nothing.
		expect(matchesFilters(hit, { author: '' }, ['bob', ''])).toBe(false);
		// By default the shown name.
		expect(matchesFilters(hit, { author: 'bobby' })).toBe(true);
	});
});

describe('snippets and highlights', () => {
	it('cuts long text around the first match with ellipses', async () => {
		const text = `${'a '.repeat(100)}needle${' b'.repeat(100)}`;
		const snippet = makeSnippet(text, ['needle'], 10);
		expect(snippet).toBe(`…${'a '.repeat(5)}needle${' b'.repeat(5)}…`);
	});

	it('keeps short text whole', async () => {
		expect(makeSnippet('find me here', ['me'])).toBe('find me here');
	});

	it('marks every occurrence of any term, ignoring case, and joins back to the text', async () => {
		const segments = highlightTerms('Hello world, HELLO again', ['hello', 'wor']);
		expect(segments).toEqual([
			{ text: 'Hello', match: true },
			{ text: ' ', match: false },
			{ text: 'wor', match: true },
			{ text: 'ld, ', match: false },
			{ text: 'HELLO', match: true },
			{ text: ' again', match: false }
		]);
		expect(segments.map((segment) => segment.text).join('')).toBe('Hello world, HELLO again');
	});

	it('treats regular expression characters in terms literally', async () => {
		expect(highlightTerms('a.b axb', ['a.b'])).toEqual([
			{ text: 'a.b', match: true },
			{ text: ' axb', match: false }
		]);
	});

	it('matches offline only when every term is in the text', async () => {
		expect(matchesAllTerms('The Quick brown fox', ['quick', 'FOX'])).toBe(true);
		expect(matchesAllTerms('The Quick brown fox', ['quick', 'dog'])).toBe(false);
		expect(matchesAllTerms('anything', [])).toBe(false);
	});
});

describe('the search indexer on real Yjs updates', () => {
	let dir: string;
	let db: Db;
	let storage: SqliteStorage;
	let indexer: SearchIndexer;
	const errors: unknown[] = [];

	function addUser(id: string): void {
		db.prepare(
			'INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, 0)'
		).run(id, id, 'x');
	}

	/** A room document whose updates are collected like the sync server commits them. */
	function roomDoc(): { doc: Y.Doc; take(): Uint8Array[] } {
		const doc = new Y.Doc();
		let pending: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => pending.push(update));
		return {
			doc,
			take() {
				const taken = pending;
				pending = [];
				return taken;
			}
		};
	}

	function commit(roomId: string, updates: Uint8Array[]): Promise<IndexCounts> {
		return indexer.indexCommitted(updates.map((data) => ({ roomId, data })));
	}

	async function search(userId: string, query: string): Promise<string[]> {
		const results = await searchMessages(storage.search, userId, searchTerms(query));
		return results.map((result) => result.text);
	}

	let roomId: string;

	beforeEach(async () => {
		dir = makeTempDir('parley-search-');
		db = openDatabase(join(dir, 'parley.db'));
		storage = createSqliteStorage(db);
		errors.length = 0;
		indexer = createSearchIndexer(storage.search, { onError: (error) => errors.push(error) });
		addUser('alice');
		addUser('bob');
		roomId = (await createRoom(storage.rooms, 'alice', 'Garden', 'private')).id;
	});

	afterEach(() => {
		expect(errors).toEqual([]);
		db.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it('indexes pushed messages and finds them by word prefix, newest first', async () => {
		const { doc, take } = roomDoc();
		const messages = doc.getArray('messages');
		messages.push([{ id: messageId('m1'), author: 'alice', text: 'Tomatoes need sun', ts: 1 }]);
		messages.push([{ id: messageId('m2'), author: 'alice', text: 'More tomatoes please', ts: 2 }]);
		expect(await commit(roomId, take())).toEqual({ messages: 2, changes: 0 });
		const results = await searchMessages(storage.search, 'alice', searchTerms('tomat'));
		expect(results.map((result) => result.messageId)).toEqual([messageId('m2'), messageId('m1')]);
		expect(results[0]).toMatchObject({
			roomId,
			roomName: 'Garden',
			author: 'alice',
			authorName: 'alice'
		});
	});

	it('applies edits, including a second edit whose update names only its origin', async () => {
		const { doc, take } = roomDoc();
		doc
			.getArray('messages')
			.push([{ id: messageId('m1'), author: 'alice', text: 'first draft', ts: 1 }]);
		await commit(roomId, take());
		const changes = doc.getMap('changes');
		changes.set(messageId('m1'), { text: 'second draft', ts: 2 });
		await commit(roomId, take());
		expect(await search('alice', 'second')).toEqual(['second draft']);

		changes.set(messageId('m1'), { text: 'final version', ts: 3 });
		const [update] = take();
		// The item has an origin (the first edit) and no parent or key in the update.
		const item = Y.decodeUpdate(update!).structs[0] as Y.Item;
		expect(item.parent).toBeNull();
		expect(item.parentSub).toBeNull();
		expect(await commit(roomId, [update!])).toEqual({ messages: 0, changes: 1 });
		expect(await search('alice', 'final')).toEqual(['final version']);
		expect(await search('alice', 'draft')).toEqual([]);
	});

	it('places edits whose origin is later in the same batch', async () => {
		const { doc, take } = roomDoc();
		doc.getArray('messages').push([{ id: messageId('m1'), author: 'alice', text: 'one', ts: 1 }]);
		doc.getMap('changes').set(messageId('m1'), { text: 'two', ts: 2 });
		doc.getMap('changes').set(messageId('m1'), { text: 'three', ts: 3 });
		const updates = take().reverse();
		await commit(roomId, updates);
		expect(await search('alice', 'three')).toEqual(['three']);
	});

	it('drops a deleted message from the results for good', async () => {
		const { doc, take } = roomDoc();
		doc
			.getArray('messages')
			.push([{ id: messageId('m1'), author: 'alice', text: 'secret plan', ts: 1 }]);
		doc.getMap('changes').set(messageId('m1'), { deleted: true, ts: 2 });
		await commit(roomId, take());
		expect(await search('alice', 'secret')).toEqual([]);
		doc.getMap('changes').set(messageId('m1'), { text: 'secret again', ts: 3 });
		await commit(roomId, take());
		expect(await search('alice', 'secret')).toEqual([]);
	});

	it('only finds messages in rooms the user belongs to, and stops after removal', async () => {
		const { doc, take } = roomDoc();
		doc
			.getArray('messages')
			.push([{ id: messageId('m1'), author: 'alice', text: 'members only', ts: 1 }]);
		await commit(roomId, take());
		expect(await search('bob', 'members')).toEqual([]);
		db.prepare(
			"INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, 'bob', 'member', 0)"
		).run(roomId);
		expect(await search('bob', 'members')).toEqual(['members only']);
		db.prepare("DELETE FROM memberships WHERE room_id = ? AND user_id = 'bob'").run(roomId);
		expect(await search('bob', 'members')).toEqual([]);
	});

	/**
	 * The real SQLite search storage, with each write recorded: how many messages it held, and
	 * whether the event loop ran (an immediate queued by the previous write fired) before it.
	 */
	function recordingIndexer(): { indexer: SearchIndexer; writes: string[]; loopRan: boolean[] } {
		const writes: string[] = [];
		const loopRan: boolean[] = [];
		let immediateRan = true;
		const record = (kind: string, messages: number): void => {
			if (writes.length > 0) loopRan.push(immediateRan);
			writes.push(`${kind} ${messages}`);
			immediateRan = false;
			setImmediate(() => (immediateRan = true));
		};
		const real = storage.search;
		const recording = {
			...real,
			writeIndex: (rooms: Parameters<typeof real.writeIndex>[0]) => {
				record(
					'write',
					rooms.reduce((n, room) => n + room.messages.length, 0)
				);
				return real.writeIndex(rooms);
			},
			rebuildRoom: (write: Parameters<typeof real.rebuildRoom>[0]) => {
				record('rebuild', write.messages.length);
				return real.rebuildRoom(write);
			}
		};
		return { indexer: createSearchIndexer(recording), writes, loopRan };
	}

	it('indexes a busy moment in chunks, letting the event loop run between them', async () => {
		const { indexer: chunked, writes, loopRan } = recordingIndexer();
		const { doc, take } = roomDoc();
		const sent = INDEX_CHUNK * 2 + 10;
		const updates: Uint8Array[] = [];
		for (let i = 0; i < sent; i++) {
			doc
				.getArray('messages')
				.push([{ id: messageId(`m${i}`), author: 'alice', text: `word${i}`, ts: i }]);
			updates.push(...take());
		}
		expect(await chunked.indexCommitted(updates.map((data) => ({ roomId, data })))).toEqual({
			messages: sent,
			changes: 0
		});
		expect(writes).toEqual([`write ${INDEX_CHUNK}`, `write ${INDEX_CHUNK}`, 'write 10']);
		expect(loopRan).toEqual([true, true]);
		expect(await search('alice', `word${sent - 1}`)).toEqual([`word${sent - 1}`]);
	});

	it('rebuilds a long room in chunks, messages before the edits that apply to them', async () => {
		const { indexer: chunked, writes, loopRan } = recordingIndexer();
		const { doc } = roomDoc();
		const count = INDEX_CHUNK + 20;
		for (let i = 0; i < count; i++) {
			doc
				.getArray('messages')
				.push([{ id: messageId(`m${i}`), author: 'alice', text: `word${i}`, ts: i }]);
		}
		doc.getMap('changes').set(messageId(`m${count - 1}`), { text: 'edited last', ts: count });
		await chunked.reindexRoom(roomId, doc);
		expect(writes).toEqual([`rebuild ${INDEX_CHUNK}`, 'write 20', 'write 0']);
		expect(loopRan).toEqual([true, true]);
		expect(await search('alice', 'word0')).toEqual(['word0']);
		expect(await search('alice', 'edited')).toEqual(['edited last']);
	});

	it('rebuilds a room from its full document, and later edits still find their message', async () => {
		const { doc, take } = roomDoc();
		doc.getArray('messages').push([
			{ id: messageId('m1'), author: 'alice', text: 'apples', ts: 1 },
			{ id: messageId('m2'), author: 'bob', text: 'pears', ts: 2 }
		]);
		doc.getMap('changes').set(messageId('m1'), { text: 'green apples', ts: 3 });
		doc.getMap('changes').set(messageId('m2'), { deleted: true, ts: 4 });
		take();
		expect(await indexer.isRoomIndexed(roomId)).toBe(false);
		await indexer.reindexRoom(roomId, doc);
		expect(await indexer.isRoomIndexed(roomId)).toBe(true);
		expect(await search('alice', 'apples')).toEqual(['green apples']);
		expect(await search('alice', 'pears')).toEqual([]);

		doc.getMap('changes').set(messageId('m1'), { text: 'red apples', ts: 5 });
		await commit(roomId, take());
		expect(await search('alice', 'apples')).toEqual(['red apples']);
	});

	it('indexes a fresh client’s full state, sent as one update', async () => {
		const { doc } = roomDoc();
		doc.getArray('messages').push([{ id: messageId('m1'), author: 'alice', text: 'hello', ts: 1 }]);
		doc.getMap('changes').set(messageId('m1'), { text: 'hello there', ts: 2 });
		doc.getMap('changes').set(messageId('m1'), { text: 'hello everyone', ts: 3 });
		await commit(roomId, [Y.encodeStateAsUpdate(doc)]);
		expect(await search('alice', 'hello')).toEqual(['hello everyone']);
	});

	it('ignores values without the message shape and values in other roots', async () => {
		const { doc, take } = roomDoc();
		doc.getArray('messages').push([{ id: messageId('m1'), author: 'alice', text: 'real', ts: 1 }]);
		doc.getMap('reads').set('alice', { upTo: messageId('m1'), ts: 2 });
		doc.getMap('reads').set('alice', { upTo: messageId('m1'), ts: 3 });
		doc.getMap('reactions').set('m1|👍|alice', 4);
		expect(await commit(roomId, take())).toEqual({ messages: 1, changes: 0 });
	});

	it('reports a failed batch instead of throwing', async () => {
		const failures: unknown[] = [];
		const failing = createSearchIndexer(storage.search, {
			onError: (error) => failures.push(error)
		});
		const { doc, take } = roomDoc();
		doc.getArray('messages').push([{ id: messageId('m1'), author: 'alice', text: 'x', ts: 1 }]);
		// An unknown room breaks the foreign key: the whole batch is rolled back and reported.
		expect(await failing.indexCommitted(take().map((data) => ({ roomId: 'nope', data })))).toEqual({
			messages: 0,
			changes: 0
		});
		expect(failures).toHaveLength(1);
	});
});
