/**
 * `storage.summaries` on SQLite: read marks (table `read_marks`, migration 10) and each room's
 * summary for a member, derived from `rooms.last_seq`, the search index (`message_index`, in
 * rowid order) and the member's read mark. A read mark naming a message the index does not hold
 * (not indexed yet) counts as read to the end.
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

interface RoomRow {
	id: string;
	name: string;
	kind: RoomKind;
	topic: string;
	archived_at: number | null;
	encrypted: number;
	last_seq: number;
	dm_key: string | null;
	level: NotificationLevel | null;
}

/** A member's rooms with their notification level (`m`: memberships, `r`: rooms). */
const ROOMS_OF_MEMBER = `SELECT r.id, r.name, r.kind, r.topic, r.archived_at, r.encrypted, r.last_seq, r.dm_key, nl.level
	FROM memberships m
	JOIN rooms r ON r.id = m.room_id
	LEFT JOIN notification_levels nl ON nl.room_id = m.room_id AND nl.user_id = m.user_id`;

interface LastRow {
	message_id: string;
	author: string;
	shown_name: string | null;
	text: string;
	ts: number;
	deleted: number;
}

/** The rowid after which a member's unread messages start: their mark's, or 0 without one. */
const AFTER_MARK = `coalesce(
	(SELECT CASE WHEN mi.rowid IS NULL THEN 9223372036854775807 ELSE mi.rowid END
	   FROM read_marks rm LEFT JOIN message_index mi
	     ON mi.room_id = rm.room_id AND mi.message_id = rm.up_to
	  WHERE rm.room_id = @room AND rm.user_id = @user), 0)`;

/** A DM's other people as the user sees them ([] for an ordinary room). */
function othersOf(db: Db, room: RoomRow, userId: string): PersonName[] {
	if (room.kind !== 'dm' || room.dm_key === null) return [];
	const people = dmOthers(room.dm_key, userId, profilesById(db, dmKeyIds(room.dm_key)), new Set());
	return people.map(({ id, username, displayName }) => ({ id, username, displayName }));
}

function summaryOf(db: Db, room: RoomRow, userId: string, username: string): RoomSummaryRecord {
	const last = cachedStatement<[string], LastRow>(
		db,
		`SELECT mi.message_id, mi.author, coalesce(nullif(u.display_name, ''), u.username) AS shown_name,
		        mi.text, mi.ts, mi.deleted
		   FROM message_index mi LEFT JOIN users u ON u.id = mi.author
		  WHERE mi.room_id = ? ORDER BY mi.rowid DESC LIMIT 1`
	).get(room.id);
	const unread = cachedStatement<[{ room: string; user: string }], { n: number }>(
		db,
		`SELECT count(*) AS n FROM message_index
		  WHERE room_id = @room AND rowid > ${AFTER_MARK} AND author <> @user AND deleted = 0`
	).get({ room: room.id, user: userId });
	const candidates = cachedStatement<
		[{ room: string; user: string; name: string; limit: number }],
		{ text: string }
	>(
		db,
		`SELECT text FROM message_index
		  WHERE room_id = @room AND rowid > ${AFTER_MARK} AND author <> @user AND deleted = 0
		    AND (instr(lower(text), '@' || lower(@name)) > 0
		      OR instr(lower(text), '@room') > 0 OR instr(lower(text), '@here') > 0)
		  ORDER BY rowid DESC LIMIT @limit`
	).all({ room: room.id, user: userId, name: username, limit: MENTION_CANDIDATES });
	return {
		id: room.id,
		name: room.name,
		kind: room.kind,
		topic: room.topic,
		archived: room.archived_at !== null,
		encrypted: Boolean(room.encrypted),
		lastSeq: room.last_seq,
		last: last
			? {
					id: last.message_id,
					author: last.author,
					authorName: last.shown_name,
					text: last.text,
					ts: last.ts,
					deleted: last.deleted === 1
				}
			: null,
		others: othersOf(db, room, userId),
		unread: unread?.n ?? 0,
		level: room.level,
		mentionCandidates: candidates.map((row) => row.text)
	};
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
			const rooms = cachedStatement<[string], RoomRow>(
				db,
				`${ROOMS_OF_MEMBER} WHERE m.user_id = ? ORDER BY r.id`
			).all(userId);
			return db.transaction(() => rooms.map((room) => summaryOf(db, room, userId, username)))();
		},
		async ofRoom(roomId, userId, username) {
			const room = cachedStatement<[string, string], RoomRow>(
				db,
				`${ROOMS_OF_MEMBER} WHERE m.room_id = ? AND m.user_id = ?`
			).get(roomId, userId);
			return room ? summaryOf(db, room, userId, username) : null;
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
