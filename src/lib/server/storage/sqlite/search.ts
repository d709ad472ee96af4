/**
 * `storage.search` on SQLite: the message index (tables `message_index`, `message_fts`,
 * `message_change_items`, migration 3) and the member-scoped FTS5 query. The sync server's
 * indexer (sync-server/search-indexer.ts) writes through `writeIndex` / `rebuildRoom`.
 */
import { toFtsQuery } from '../../../search';
import type {
	IndexedMessage,
	MessageChange,
	MessageMatch,
	RoomIndexWrite,
	SearchStorage
} from '../types';
import Database from 'better-sqlite3';
import { SearchQueryError } from '../errors';
import { toMessageMatch, type SearchRow } from '../rows';
import { cachedStatement, type Db } from './db';

/** Adds a message; a message already indexed is left alone (message objects never change). */
function indexMessage(db: Db, roomId: string, message: IndexedMessage): void {
	cachedStatement(
		db,
		`INSERT INTO message_index (room_id, message_id, author, ts, text) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (room_id, message_id) DO NOTHING`
	).run(roomId, message.id, message.author, message.ts, message.text);
}

/**
 * Applies an edit or delete to an indexed message. The change with the latest `ts` wins and a
 * delete is final; a delete also drops the text, so a deleted message is never found again.
 * Returns false when the message is not indexed (it is picked up by the next reindex).
 */
function applyMessageChange(
	db: Db,
	roomId: string,
	messageId: string,
	change: MessageChange
): boolean {
	if (change.deleted === true) {
		return (
			cachedStatement(
				db,
				`UPDATE message_index SET deleted = 1, text = '', changed_ts = max(changed_ts, ?)
					 WHERE room_id = ? AND message_id = ?`
			).run(change.ts, roomId, messageId).changes > 0
		);
	}
	if (change.text === undefined) return false;
	return (
		cachedStatement(
			db,
			`UPDATE message_index SET text = ?, changed_ts = ?
				 WHERE room_id = ? AND message_id = ? AND deleted = 0 AND changed_ts <= ?`
		).run(change.text, change.ts, roomId, messageId, change.ts).changes > 0
	);
}

/** Remembers that the item (client, clock … clock+length-1) of `changes` sits at `messageId`. */
function recordChangeItem(
	db: Db,
	roomId: string,
	client: number,
	clock: number,
	length: number,
	messageId: string
): void {
	cachedStatement(
		db,
		`INSERT INTO message_change_items (room_id, client, clock, length, message_id)
		 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	).run(roomId, client, clock, length, messageId);
}

/** The key (message id) of the `changes` item holding (client, clock), if one was recorded. */
function findChangeItemKey(db: Db, roomId: string, client: number, clock: number): string | null {
	const row = cachedStatement(
		db,
		`SELECT message_id, clock, length FROM message_change_items
			 WHERE room_id = ? AND client = ? AND clock <= ? ORDER BY clock DESC LIMIT 1`
	).get(roomId, client, clock) as { message_id: string; clock: number; length: number } | undefined;
	return row && clock < row.clock + row.length ? row.message_id : null;
}

/** Forgets everything indexed for the room (before a rebuild from its full state). */
function clearRoomIndex(db: Db, roomId: string): void {
	cachedStatement(db, 'DELETE FROM message_index WHERE room_id = ?').run(roomId);
	cachedStatement(db, 'DELETE FROM message_change_items WHERE room_id = ?').run(roomId);
}

/** Whether the room has anything in the index. */
function isRoomIndexed(db: Db, roomId: string): boolean {
	return (
		cachedStatement(db, 'SELECT 1 FROM message_index WHERE room_id = ? LIMIT 1').get(roomId) !==
		undefined
	);
}

/** The room's messages, then each change item (recorded, then applied). Returns changes applied. */
function writeRoom(db: Db, write: RoomIndexWrite): number {
	for (const message of write.messages) indexMessage(db, write.roomId, message);
	let applied = 0;
	for (const item of write.changes) {
		recordChangeItem(db, write.roomId, item.client, item.clock, item.length, item.messageId);
		if (item.change && applyMessageChange(db, write.roomId, item.messageId, item.change)) applied++;
	}
	return applied;
}

export function sqliteSearch(db: Db): SearchStorage {
	const writeIndex = db.transaction((rooms: readonly RoomIndexWrite[]) => {
		let messages = 0;
		let changes = 0;
		for (const write of rooms) {
			messages += write.messages.length;
			changes += writeRoom(db, write);
		}
		return { messages, changes };
	});
	const rebuildRoom = db.transaction((write: RoomIndexWrite) => {
		clearRoomIndex(db, write.roomId);
		writeRoom(db, write);
	});
	return {
		async findChangeItemKey(roomId, client, clock) {
			return findChangeItemKey(db, roomId, client, clock);
		},
		async writeIndex(rooms) {
			return writeIndex(rooms);
		},
		async rebuildRoom(write) {
			rebuildRoom(write);
		},
		async isRoomIndexed(roomId) {
			return isRoomIndexed(db, roomId);
		},
		async searchMessages(userId, terms, limit, filters = {}): Promise<MessageMatch[]> {
			const room = filters.roomId ?? null;
			const author = filters.author ?? null;
			const from = filters.fromTs ?? null;
			const to = filters.toTs ?? null;
			let rows: SearchRow[];
			try {
				rows = cachedStatement<[Record<string, string | number | null>], SearchRow>(
					db,
					`SELECT mi.room_id, r.name AS room_name, mi.message_id, mi.author,
						coalesce(nullif(u.display_name, ''), u.username) AS author_name, mi.text, mi.ts
					 FROM message_fts
					 JOIN message_index mi ON mi.rowid = message_fts.rowid
					 JOIN memberships m ON m.room_id = mi.room_id AND m.user_id = @userId
					 JOIN rooms r ON r.id = mi.room_id
					 LEFT JOIN users u ON u.id = mi.author
					 WHERE message_fts MATCH @query AND mi.deleted = 0
						AND (@room IS NULL OR mi.room_id = @room) AND (@author IS NULL OR u.username = @author COLLATE NOCASE
							OR (u.display_name <> '' AND u.display_name = @author COLLATE NOCASE))
						AND (@from IS NULL OR mi.ts >= @from) AND (@to IS NULL OR mi.ts < @to)
					 ORDER BY mi.ts DESC, mi.rowid DESC
					 LIMIT @limit`
				).all({ userId, query: toFtsQuery(terms), room, author, from, to, limit });
			} catch (error) {
				// Terms are quoted, so this is rare (e.g. a term FTS5 tokenizes to nothing special).
				if (error instanceof Database.SqliteError) throw new SearchQueryError({ cause: error });
				throw error;
			}
			return rows.map(toMessageMatch);
		}
	};
}
