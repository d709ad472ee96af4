/**
 * `storage.summaries` on SQLite: read marks (table `read_marks`, migration 10) and each room's
 * summary for a member, derived from `rooms.last_seq`, the search index (`message_index`, in
 * rowid order) and the member's read mark. A read mark naming a message the index does not hold
 * (not indexed yet) counts as read to the end. One statement for all of a user's rooms.
 */
import { dmKeyIds, dmOthers } from '../rules';
import type {
	DeliveryMarkRecord,
	NotificationLevel,
	PersonName,
	RoomKind,
	RoomSummaryRecord,
	SummaryStorage
} from '../types';
import { cachedStatement, type Db } from './db';
import { profilesById } from './rooms';

/** At most this many unread texts with "@<name>", "@room" or "@here" are handed back to be checked for mentions. */
const MENTION_CANDIDATES = 100;

interface SummaryRow {
	id: string;
	name: string;
	kind: RoomKind;
	topic: string;
	archived_at: number | null;
	encrypted: number;
	last_seq: number;
	dm_key: string | null;
	level: NotificationLevel | null;
	message_id: string | null;
	author: string | null;
	shown_name: string | null;
	text: string | null;
	ts: number | null;
	deleted: number | null;
	unread: number;
	/** A JSON array of the mention candidates' texts. */
	candidates: string;
}

/**
 * A member's rooms (all of them, or only `@room`) with their summaries, in ONE statement as on
 * PostgreSQL: a 200-room listing used to take 600 statements (the latest message, the unread
 * count and the mention candidates of each room), ~70 µs a room, most of it crossing between
 * JavaScript and SQLite. `mine` is each room with its member's read mark (`after`: the rowid
 * after which messages are unread, 0 without a mark, "the end" when the mark names a message
 * the index does not hold yet) and its latest message's rowid.
 */
const SUMMARIES = `WITH mine AS (
	SELECT r.id, r.name, r.kind, r.topic, r.archived_at, r.encrypted, r.last_seq, r.dm_key, nl.level,
		coalesce(
			(SELECT CASE WHEN mi.rowid IS NULL THEN 9223372036854775807 ELSE mi.rowid END
			   FROM read_marks rm LEFT JOIN message_index mi
			     ON mi.room_id = rm.room_id AND mi.message_id = rm.up_to
			  WHERE rm.room_id = r.id AND rm.user_id = m.user_id), 0) AS after,
		(SELECT mi.rowid FROM message_index mi WHERE mi.room_id = r.id
		  ORDER BY mi.rowid DESC LIMIT 1) AS last_rowid
	FROM memberships m
	JOIN rooms r ON r.id = m.room_id
	LEFT JOIN notification_levels nl ON nl.room_id = m.room_id AND nl.user_id = m.user_id
	WHERE m.user_id = @user AND (@room IS NULL OR m.room_id = @room)
)
SELECT mine.id, mine.name, mine.kind, mine.topic, mine.archived_at, mine.encrypted, mine.last_seq,
	mine.dm_key, mine.level, last.message_id, last.author,
	coalesce(nullif(u.display_name, ''), u.username) AS shown_name, last.text, last.ts, last.deleted,
	(SELECT count(*) FROM message_index mi
	  WHERE mi.room_id = mine.id AND mi.rowid > mine.after AND mi.author <> @user
	    AND mi.deleted = 0) AS unread,
	(SELECT json_group_array(c.text) FROM (
		SELECT mi.text FROM message_index mi
		 WHERE mi.room_id = mine.id AND mi.rowid > mine.after AND mi.author <> @user
		   AND mi.deleted = 0
		   AND (instr(lower(mi.text), '@' || lower(@name)) > 0
		     OR instr(lower(mi.text), '@room') > 0 OR instr(lower(mi.text), '@here') > 0)
		 ORDER BY mi.rowid DESC LIMIT @limit) c) AS candidates
FROM mine
LEFT JOIN message_index last ON last.rowid = mine.last_rowid
LEFT JOIN users u ON u.id = last.author
ORDER BY mine.id`;

/** The summaries of the user's rooms (all of them, or only `roomId`). */
function summariesOf(
	db: Db,
	userId: string,
	username: string,
	roomId: string | null
): RoomSummaryRecord[] {
	const rows = cachedStatement<
		[{ user: string; room: string | null; name: string; limit: number }],
		SummaryRow
	>(db, SUMMARIES).all({ user: userId, room: roomId, name: username, limit: MENTION_CANDIDATES });
	// A DM's people: one more statement for all of them, not one per DM.
	const keys = rows.flatMap((row) => (row.kind === 'dm' && row.dm_key ? [row.dm_key] : []));
	const people = keys.length > 0 ? profilesById(db, new Set(keys.flatMap(dmKeyIds))) : new Map();
	return rows.map((row) => ({
		id: row.id,
		name: row.name,
		kind: row.kind,
		topic: row.topic,
		archived: row.archived_at !== null,
		encrypted: Boolean(row.encrypted),
		lastSeq: row.last_seq,
		last:
			row.message_id !== null && row.author !== null && row.text !== null && row.ts !== null
				? {
						id: row.message_id,
						author: row.author,
						authorName: row.shown_name,
						text: row.text,
						ts: row.ts,
						deleted: row.deleted === 1
					}
				: null,
		others: row.kind === 'dm' && row.dm_key !== null ? othersOf(row.dm_key, userId, people) : [],
		unread: row.unread,
		level: row.level,
		mentionCandidates: JSON.parse(row.candidates) as string[]
	}));
}

/** A DM's other people as the user sees them. */
function othersOf(
	dmKey: string,
	userId: string,
	people: ReturnType<typeof profilesById>
): PersonName[] {
	return dmOthers(dmKey, userId, people, new Set()).map(({ id, username, displayName }) => ({
		id,
		username,
		displayName
	}));
}

export function sqliteSummaries(db: Db): SummaryStorage {
	const writeMarks = db.transaction(
		(marks: Parameters<SummaryStorage['recordReadMarks']>[0]): void => {
			const upsert = cachedStatement(
				db,
				`INSERT INTO read_marks (room_id, user_id, up_to, ts)
				 SELECT @room, @user, @upTo, @ts WHERE EXISTS (SELECT 1 FROM rooms WHERE id = @room)
				 ON CONFLICT (room_id, user_id) DO UPDATE SET up_to = excluded.up_to, ts = excluded.ts
				 WHERE excluded.ts >= read_marks.ts`
			);
			for (const mark of marks) {
				upsert.run({ room: mark.roomId, user: mark.userId, upTo: mark.upTo, ts: mark.ts });
			}
		}
	);
	const writeDeliveries = db.transaction(
		(marks: readonly DeliveryMarkRecord[]): DeliveryMarkRecord[] => {
			const upsert = cachedStatement(
				db,
				`INSERT INTO delivery_marks (room_id, user_id, up_to, seq, ts)
			 SELECT @room, @user, @upTo, @seq, @ts
			  WHERE EXISTS (SELECT 1 FROM memberships WHERE room_id = @room AND user_id = @user)
			 ON CONFLICT (room_id, user_id) DO UPDATE
			    SET up_to = excluded.up_to, seq = excluded.seq, ts = excluded.ts
			  WHERE excluded.seq > delivery_marks.seq`
			);
			return marks.filter(
				(mark) =>
					upsert.run({
						room: mark.roomId,
						user: mark.userId,
						upTo: mark.upTo,
						seq: mark.seq,
						ts: mark.ts
					}).changes > 0
			);
		}
	);
	return {
		async recordDeliveries(marks) {
			return marks.length > 0 ? writeDeliveries.immediate(marks) : [];
		},
		async deliveriesOf(roomId) {
			return cachedStatement<[string], DeliveryMarkRecord>(
				db,
				`SELECT d.room_id AS roomId, d.user_id AS userId, d.up_to AS upTo, d.seq, d.ts
				   FROM delivery_marks d JOIN memberships m
				     ON m.room_id = d.room_id AND m.user_id = d.user_id
				  WHERE d.room_id = ? ORDER BY d.user_id`
			).all(roomId);
		},
		async recordReadMarks(marks) {
			if (marks.length > 0) writeMarks.immediate(marks);
		},
		async ofUser(userId, username) {
			return summariesOf(db, userId, username, null);
		},
		async ofRoom(roomId, userId, username) {
			return summariesOf(db, userId, username, roomId)[0] ?? null;
		},
		async setRoomLevel(roomId, userId, level) {
			if (level === null) {
				const member = cachedStatement<[string, string], { n: number }>(
					db,
					'SELECT 1 AS n FROM memberships WHERE room_id = ? AND user_id = ?'
				).get(roomId, userId);
				cachedStatement(
					db,
					'DELETE FROM notification_levels WHERE room_id = ? AND user_id = ?'
				).run(roomId, userId);
				return member !== undefined;
			}
			const written = cachedStatement(
				db,
				`INSERT INTO notification_levels (room_id, user_id, level)
				 SELECT @room, @user, @level
				  WHERE EXISTS (SELECT 1 FROM memberships WHERE room_id = @room AND user_id = @user)
				 ON CONFLICT (room_id, user_id) DO UPDATE SET level = excluded.level`
			).run({ room: roomId, user: userId, level });
			return written.changes > 0;
		},
		async setDefaultLevel(userId, level) {
			cachedStatement(
				db,
				`INSERT INTO notification_defaults (user_id, level) VALUES (?, ?)
				 ON CONFLICT (user_id) DO UPDATE SET level = excluded.level`
			).run(userId, level);
		},
		async defaultLevelOf(userId) {
			const row = cachedStatement<[string], { level: NotificationLevel }>(
				db,
				'SELECT level FROM notification_defaults WHERE user_id = ?'
			).get(userId);
			return row?.level ?? 'all';
		}
	};
}
