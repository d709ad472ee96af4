/**
 * `storage.summaries` on PostgreSQL: read marks (table `read_marks`, migration 10) and each
 * room's summary for a member, derived, as on SQLite (../sqlite/summaries.ts), from
 * `rooms.last_seq`, the search index (`message_index`, in `id` order) and the member's read
 * mark. A read mark naming a message the index does not hold (not indexed yet) counts as read to
 * the end. One statement for all of a user's rooms (LATERAL joins), not three per room.
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
import type { Sql } from './db';
import { profilesById } from './rooms';

/** At most this many unread texts with "@<name>", "@room" or "@here" are handed back to be checked for mentions. */
const MENTION_CANDIDATES = 100;

interface SummaryRow {
	id: string;
	name: string;
	kind: RoomKind;
	topic: string;
	archived_at: number | null;
	encrypted: boolean;
	last_seq: number;
	dm_key: string | null;
	message_id: string | null;
	author: string | null;
	shown_name: string | null;
	text: string | null;
	ts: number | null;
	deleted: boolean | null;
	unread: number;
	candidates: string[];
	level: NotificationLevel | null;
}

function toRecord(row: SummaryRow, others: readonly PersonName[]): RoomSummaryRecord {
	return {
		id: row.id,
		name: row.name,
		kind: row.kind,
		topic: row.topic,
		archived: row.archived_at !== null,
		encrypted: row.encrypted,
		lastSeq: row.last_seq,
		last:
			row.message_id !== null
				? {
						id: row.message_id,
						author: row.author ?? '',
						authorName: row.shown_name,
						text: row.text ?? '',
						ts: row.ts ?? 0,
						deleted: row.deleted === true
					}
				: null,
		others,
		unread: row.unread,
		level: row.level,
		mentionCandidates: row.candidates
	};
}

export function postgresSummaries(sql: Sql): SummaryStorage {
	/** The summaries of the user's rooms (all of them, or only `roomId`). */
	async function summaries(
		userId: string,
		username: string,
		roomId: string | null
	): Promise<RoomSummaryRecord[]> {
		const rows = await sql<SummaryRow[]>`
			SELECT r.id, r.name, r.kind, r.topic, r.archived_at, r.encrypted, r.last_seq, r.dm_key,
				last.message_id, last.author, last.shown_name, last.text, last.ts, last.deleted,
				unread.n AS unread, cand.texts AS candidates, nl.level
			FROM memberships m
			JOIN rooms r ON r.id = m.room_id
			LEFT JOIN notification_levels nl ON nl.room_id = m.room_id AND nl.user_id = m.user_id
			CROSS JOIN LATERAL (
				SELECT coalesce((
					SELECT CASE WHEN mi.id IS NULL THEN 9223372036854775807 ELSE mi.id END
					FROM read_marks rm
					LEFT JOIN message_index mi ON mi.room_id = rm.room_id AND mi.message_id = rm.up_to
					WHERE rm.room_id = r.id AND rm.user_id = m.user_id
				), 0) AS after
			) mark
			LEFT JOIN LATERAL (
				SELECT mi.message_id, mi.author,
					coalesce(nullif(u.display_name, ''), u.username) AS shown_name,
					mi.text, mi.ts, mi.deleted
				FROM message_index mi LEFT JOIN users u ON u.id = mi.author
				WHERE mi.room_id = r.id ORDER BY mi.id DESC LIMIT 1
			) last ON true
			CROSS JOIN LATERAL (
				SELECT count(*)::int AS n FROM message_index mi
				WHERE mi.room_id = r.id AND mi.id > mark.after AND mi.author <> m.user_id
					AND NOT mi.deleted
			) unread
			CROSS JOIN LATERAL (
				SELECT coalesce(array_agg(t.text), '{}'::text[]) AS texts FROM (
					SELECT mi.text FROM message_index mi
					WHERE mi.room_id = r.id AND mi.id > mark.after AND mi.author <> m.user_id
						AND NOT mi.deleted
						AND (position('@' || lower(${username}) IN lower(mi.text)) > 0
							OR position('@room' IN lower(mi.text)) > 0
							OR position('@here' IN lower(mi.text)) > 0)
					ORDER BY mi.id DESC LIMIT ${MENTION_CANDIDATES}
				) t
			) cand
			WHERE m.user_id = ${userId} AND (${roomId}::text IS NULL OR m.room_id = ${roomId})
			ORDER BY r.id`;
		// A DM's people: one more statement for all of them, not one per DM.
		const keys = rows.flatMap((row) => (row.kind === 'dm' && row.dm_key ? [row.dm_key] : []));
		const people = await profilesById(sql, [...new Set(keys.flatMap(dmKeyIds))]);
		return rows.map((row) =>
			toRecord(
				row,
				row.kind === 'dm' && row.dm_key
					? dmOthers(row.dm_key, userId, people, new Set()).map(
							({ id, username, displayName }) => ({ id, username, displayName })
						)
					: []
			)
		);
	}

	return {
		async recordDeliveries(marks) {
			if (marks.length === 0) return [];
			const rows = await sql<DeliveryMarkRecord[]>`
				INSERT INTO delivery_marks (room_id, user_id, up_to, seq, ts)
				SELECT d.room, d.usr, d.up_to, d.seq, d.ts
				FROM unnest(${marks.map((mark) => mark.roomId)}::text[],
					${marks.map((mark) => mark.userId)}::text[],
					${marks.map((mark) => mark.upTo)}::text[],
					${marks.map((mark) => mark.seq)}::bigint[],
					${marks.map((mark) => mark.ts)}::bigint[]) WITH ORDINALITY AS d (room, usr, up_to, seq, ts, i)
				WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.room_id = d.room AND m.user_id = d.usr)
				ORDER BY d.i
				ON CONFLICT (room_id, user_id) DO UPDATE
					SET up_to = excluded.up_to, seq = excluded.seq, ts = excluded.ts
				WHERE excluded.seq > delivery_marks.seq
				RETURNING room_id AS "roomId", user_id AS "userId", up_to AS "upTo", seq, ts`;
			return [...rows];
		},
		async deliveriesOf(roomId) {
			const rows = await sql<DeliveryMarkRecord[]>`
				SELECT d.room_id AS "roomId", d.user_id AS "userId", d.up_to AS "upTo", d.seq, d.ts
				FROM delivery_marks d
				JOIN memberships m ON m.room_id = d.room_id AND m.user_id = d.user_id
				WHERE d.room_id = ${roomId} ORDER BY d.user_id`;
			return [...rows];
		},
		async recordReadMarks(marks) {
			if (marks.length === 0) return;
			await sql`
				INSERT INTO read_marks (room_id, user_id, up_to, ts)
				SELECT m.room, m.usr, m.up_to, m.ts
				FROM unnest(${marks.map((mark) => mark.roomId)}::text[],
					${marks.map((mark) => mark.userId)}::text[],
					${marks.map((mark) => mark.upTo)}::text[],
					${marks.map((mark) => mark.ts)}::float8[]) WITH ORDINALITY AS m (room, usr, up_to, ts, i)
				WHERE EXISTS (SELECT 1 FROM rooms WHERE id = m.room)
				ORDER BY m.i
				ON CONFLICT (room_id, user_id) DO UPDATE SET up_to = excluded.up_to, ts = excluded.ts
				WHERE excluded.ts >= read_marks.ts`;
		},
		ofUser: (userId, username) => summaries(userId, username, null),
		async setRoomLevel(roomId, userId, level) {
			if (level === null) {
				const [member] = await sql`
					WITH gone AS (
						DELETE FROM notification_levels WHERE room_id = ${roomId} AND user_id = ${userId}
					)
					SELECT 1 FROM memberships WHERE room_id = ${roomId} AND user_id = ${userId}`;
				return member !== undefined;
			}
			const written = await sql`
				INSERT INTO notification_levels (room_id, user_id, level)
				SELECT ${roomId}, ${userId}, ${level}
				WHERE EXISTS (SELECT 1 FROM memberships WHERE room_id = ${roomId} AND user_id = ${userId})
				ON CONFLICT (room_id, user_id) DO UPDATE SET level = excluded.level`;
			return written.count > 0;
		},
		async setDefaultLevel(userId, level) {
			await sql`
				INSERT INTO notification_defaults (user_id, level) VALUES (${userId}, ${level})
				ON CONFLICT (user_id) DO UPDATE SET level = excluded.level`;
		},
		async defaultLevelOf(userId) {
			const [row] = await sql<{ level: NotificationLevel }[]>`
				SELECT level FROM notification_defaults WHERE user_id = ${userId}`;
			return row?.level ?? 'all';
		},
		async ofRoom(roomId, userId, username) {
			const [summary] = await summaries(userId, username, roomId);
			return summary ?? null;
		}
	};
}
