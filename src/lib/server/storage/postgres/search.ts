/**
 * `storage.search` on PostgreSQL: the message index (message_index with a stored 'simple'
 * tsvector and its GIN index, message_change_items; migration 3) and the member-scoped query.
 * Same rules as SQLite's (../sqlite/search.ts): a message indexed again keeps what the index
 * holds, the latest change wins, a delete is final and drops the text.
 */
import { SearchQueryError } from '../errors';
import { toMessageMatch, type SearchRow } from '../rows';
import type { MessageMatch, RoomIndexWrite, SearchStorage } from '../types';
import type { Sql, Tx } from './db';

/** Letters and digits: the words of a term, as the 'simple' parser finds them in text. */
const WORD = /[\p{L}\p{N}]+/gu;

/**
 * The tsquery for the terms, in to_tsquery syntax, or null when no term has a word. Each term
 * becomes the phrase of its words with the last one a prefix ("near(b" → 'near' <-> 'b':*, as
 * FTS5 reads the quoted "near(b"*), all terms required. Built from letters and digits only,
 * quoted, so nothing a user types is tsquery syntax. (websearch_to_tsquery would parse the
 * input too, but it has no prefix match, which the search API promises: "hel wor" finds
 * "hello world".)
 */
export function toTsQuery(terms: readonly string[]): string | null {
	const phrases = terms
		.map((term) => term.toLowerCase().match(WORD) ?? [])
		.filter((words) => words.length > 0)
		.map((words) => words.map((word, i) => `'${word}'${i === words.length - 1 ? ':*' : ''}`));
	if (phrases.length === 0) return null;
	return phrases.map((words) => `(${words.join(' <-> ')})`).join(' & ');
}

async function writeRoom(tx: Tx, write: RoomIndexWrite): Promise<number> {
	const { roomId, messages, changes } = write;
	if (messages.length > 0) {
		await tx`INSERT INTO message_index (room_id, message_id, author, ts, text)
			SELECT ${roomId}, m.id, m.author, m.ts, m.text
			FROM unnest(${messages.map((m) => m.id)}::text[], ${messages.map((m) => m.author)}::text[],
				${messages.map((m) => m.ts)}::float8[], ${messages.map((m) => m.text)}::text[])
				WITH ORDINALITY AS m (id, author, ts, text, i)
			ORDER BY m.i
			ON CONFLICT (room_id, message_id) DO NOTHING`;
	}
	let applied = 0;
	for (const item of changes) {
		await tx`INSERT INTO message_change_items (room_id, client, clock, length, message_id)
			VALUES (${roomId}, ${item.client}, ${item.clock}, ${item.length}, ${item.messageId})
			ON CONFLICT DO NOTHING`;
		const { change } = item;
		if (!change) continue;
		let result;
		if (change.deleted === true) {
			result = await tx`UPDATE message_index
				SET deleted = true, text = '', changed_ts = GREATEST(changed_ts, ${change.ts})
				WHERE room_id = ${roomId} AND message_id = ${item.messageId}`;
		} else if (change.text !== undefined) {
			result = await tx`UPDATE message_index SET text = ${change.text}, changed_ts = ${change.ts}
				WHERE room_id = ${roomId} AND message_id = ${item.messageId} AND NOT deleted
					AND changed_ts <= ${change.ts}`;
		}
		if (result && result.count > 0) applied++;
	}
	return applied;
}

export function postgresSearch(sql: Sql): SearchStorage {
	return {
		async findChangeItemKey(roomId, client, clock) {
			const [row] = await sql<{ message_id: string; clock: number; length: number }[]>`
				SELECT message_id, clock, length FROM message_change_items
				WHERE room_id = ${roomId} AND client = ${client} AND clock <= ${clock}
				ORDER BY clock DESC LIMIT 1`;
			return row && clock < row.clock + row.length ? row.message_id : null;
		},
		async writeIndex(rooms) {
			return sql.begin(async (tx) => {
				let messages = 0;
				let changes = 0;
				for (const write of rooms) {
					messages += write.messages.length;
					changes += await writeRoom(tx, write);
				}
				return { messages, changes };
			});
		},
		async rebuildRoom(write) {
			await sql.begin(async (tx) => {
				await tx`DELETE FROM message_index WHERE room_id = ${write.roomId}`;
				await tx`DELETE FROM message_change_items WHERE room_id = ${write.roomId}`;
				await writeRoom(tx, write);
			});
		},
		async isRoomIndexed(roomId) {
			const [row] = await sql`SELECT 1 FROM message_index WHERE room_id = ${roomId} LIMIT 1`;
			return row !== undefined;
		},
		async searchMessages(userId, terms, limit, filters = {}): Promise<MessageMatch[]> {
			const query = toTsQuery(terms);
			if (query === null) return [];
			const room = filters.roomId ?? null;
			const author = filters.author ?? null;
			const from = filters.fromTs ?? null;
			const to = filters.toTs ?? null;
			let rows: readonly SearchRow[];
			try {
				rows = await sql<SearchRow[]>`
					SELECT mi.room_id, r.name AS room_name, mi.message_id, mi.author,
						coalesce(nullif(u.display_name, ''), u.username) AS author_name, mi.text, mi.ts
					FROM message_index mi
					JOIN memberships m ON m.room_id = mi.room_id AND m.user_id = ${userId}
					JOIN rooms r ON r.id = mi.room_id
					LEFT JOIN users u ON u.id = mi.author
					WHERE mi.tsv @@ to_tsquery('simple', ${query}) AND NOT mi.deleted
						AND (${room}::text IS NULL OR mi.room_id = ${room})
						AND (${author}::text IS NULL OR lower(u.username) = lower(${author})
							OR (u.display_name <> '' AND lower(u.display_name) = lower(${author})))
						AND (${from}::double precision IS NULL OR mi.ts >= ${from})
						AND (${to}::double precision IS NULL OR mi.ts < ${to})
					ORDER BY mi.ts DESC, mi.id DESC
					LIMIT ${limit}`;
			} catch (error) {
				// 42601: a tsquery syntax error (the query is built from words only: rare).
				if ((error as { code?: string }).code === '42601') {
					throw new SearchQueryError({ cause: error });
				}
				throw error;
			}
			return rows.map(toMessageMatch);
		}
	};
}
