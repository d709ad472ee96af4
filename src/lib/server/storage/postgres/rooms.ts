/** `storage.rooms` on PostgreSQL: rooms, memberships, bans, invites, DMs and DM requests / declines. */
import { dmKeyIds, dmOthers, inviteState } from '../rules';
import { newRoom, toInvite, toRoom, type InviteRow, type RoomRow } from '../rows';
import type {
	AcceptInviteOutcome,
	Invite,
	OpenDmOutcome,
	Profile,
	Role,
	Room,
	RoomStorage
} from '../types';
import type { Sql, Tx } from './db';

type Q = Sql | Tx;

async function selectRoom(sql: Q, roomId: string): Promise<Room | null> {
	const [row] = await sql<RoomRow[]>`SELECT id, name, visibility, kind, owner_id, created_at, epoch,
		topic, archived_at, encrypted
		FROM rooms WHERE id = ${roomId}`;
	return row ? toRoom(row) : null;
}

async function selectMembership(sql: Q, roomId: string, userId: string): Promise<Role | null> {
	const [row] = await sql<{ role: Role }[]>`SELECT role FROM memberships
		WHERE room_id = ${roomId} AND user_id = ${userId}`;
	return row?.role ?? null;
}

async function insertMembership(sql: Q, roomId: string, userId: string, now: number) {
	await sql`INSERT INTO memberships (room_id, user_id, role, joined_at)
		VALUES (${roomId}, ${userId}, 'member', ${now}) ON CONFLICT DO NOTHING`;
}

/** Being let in (invite, owner) also lifts a ban. */
async function letIn(sql: Q, roomId: string, userId: string, now: number): Promise<void> {
	await insertMembership(sql, roomId, userId, now);
	await sql`DELETE FROM room_bans WHERE room_id = ${roomId} AND user_id = ${userId}`;
}

async function pendingSender(tx: Tx, roomId: string, recipientId: string): Promise<string | null> {
	const [row] = await tx<{ sender_id: string }[]>`SELECT sender_id FROM dm_requests
		WHERE room_id = ${roomId} AND recipient_id = ${recipientId} FOR UPDATE`;
	return row?.sender_id ?? null;
}

/**
 * The recipient accepts: their request goes, the membership comes, the sender (the DM's
 * creator, `owner_id`, who sent every request of it) is unblocked.
 */
async function joinAsRecipient(tx: Tx, roomId: string, me: string, now: number) {
	await tx`DELETE FROM dm_requests WHERE room_id = ${roomId} AND recipient_id = ${me}`;
	await tx`DELETE FROM dm_declines WHERE recipient_id = ${me}
		AND sender_id = (SELECT owner_id FROM rooms WHERE id = ${roomId})`;
	await insertMembership(tx, roomId, me, now);
}

/** The profiles of these ids (those that exist), by id. */
export async function profilesById(sql: Q, ids: readonly string[]): Promise<Map<string, Profile>> {
	const found =
		ids.length === 0
			? []
			: await sql<Profile[]>`SELECT id, username, display_name AS "displayName",
				avatar_version AS avatar FROM users WHERE id = ANY(${ids})`;
	return new Map(found.map((row) => [row.id, row]));
}

/** The DM rows' people as `viewerId` sees them (dmOthers), a DM without any left out. */
async function peopleOfDms<T extends { id: string; dm_key: string }>(
	sql: Q,
	rows: T[],
	viewerId: string,
	pendingRows: { room_id: string; recipient_id: string }[]
) {
	const ids = [...new Set(rows.flatMap((row) => dmKeyIds(row.dm_key)))];
	const users = await profilesById(sql, ids);
	const pending = new Set(pendingRows.map((row) => `${row.room_id}:${row.recipient_id}`));
	return rows.flatMap((row) => {
		const waiting = new Set(dmKeyIds(row.dm_key).filter((id) => pending.has(`${row.id}:${id}`)));
		const others = dmOthers(row.dm_key, viewerId, users, waiting);
		const first = others[0];
		return first ? [{ row, first: { id: first.id, username: first.username }, others }] : [];
	});
}

async function findInvite(sql: Q, tokenHash: Uint8Array, lock = false): Promise<Invite | null> {
	const [row] = lock
		? await sql<InviteRow[]>`SELECT * FROM invites WHERE token_hash = ${tokenHash} FOR UPDATE`
		: await sql<InviteRow[]>`SELECT * FROM invites WHERE token_hash = ${tokenHash}`;
	return row ? toInvite(row) : null;
}

export function postgresRooms(sql: Sql): RoomStorage {
	return {
		get: (roomId) => selectRoom(sql, roomId),
		membership: (roomId, userId) => selectMembership(sql, roomId, userId),
		async updateSettings(roomId, change) {
			const archive = change.archivedAt !== undefined;
			const [row] = await sql<
				RoomRow[]
			>`UPDATE rooms SET name = coalesce(${change.name ?? null}, name),
				topic = coalesce(${change.topic ?? null}, topic),
				archived_at = CASE WHEN ${archive} THEN ${change.archivedAt ?? null}::bigint ELSE archived_at END
				WHERE id = ${roomId}
				RETURNING id, name, visibility, kind, owner_id, created_at, epoch, topic, archived_at, encrypted`;
			return row ? toRoom(row) : null;
		},
		async create({ id, name, visibility, ownerId, now, encrypted = false }) {
			await sql.begin(async (tx) => {
				await tx`INSERT INTO rooms (id, name, visibility, owner_id, created_at, encrypted)
					VALUES (${id}, ${name}, ${visibility}, ${ownerId}, ${now}, ${encrypted})`;
				await tx`INSERT INTO memberships (room_id, user_id, role, joined_at)
					VALUES (${id}, ${ownerId}, 'owner', ${now})`;
			});
			return newRoom({ id, name, visibility, ownerId, now, encrypted });
		},
		async listOfUser(userId) {
			return [
				...(await sql<Awaited<ReturnType<RoomStorage['listOfUser']>>>`
				SELECT r.id, r.name, r.visibility, r.kind, m.role, r.encrypted FROM memberships m
				JOIN rooms r ON r.id = m.room_id
				WHERE m.user_id = ${userId} AND r.kind = 'room' ORDER BY r.created_at DESC, r.id`)
			];
		},
		async listPublic(userId, limit) {
			const rows = await sql<{ id: string; name: string; joined: boolean }[]>`
				SELECT r.id, r.name, EXISTS (
					SELECT 1 FROM memberships m WHERE m.room_id = r.id AND m.user_id = ${userId}
				) AS joined
				FROM rooms r WHERE r.visibility = 'public' AND r.kind = 'room'
				ORDER BY r.created_at DESC, r.id LIMIT ${limit}`;
			return rows.map((row) => ({ id: row.id, name: row.name, joined: row.joined }));
		},
		async members(roomId) {
			return [
				...(await sql<Awaited<ReturnType<RoomStorage['members']>>>`
				SELECT u.id, u.username, u.display_name AS "displayName", u.avatar_version AS avatar,
					m.role
				FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.room_id = ${roomId}
				ORDER BY m.role = 'owner' DESC, lower(u.username) COLLATE "C"`)
			];
		},
		async memberIds(roomId) {
			const rows = await sql<{ user_id: string }[]>`SELECT user_id FROM memberships
				WHERE room_id = ${roomId}`;
			return rows.map((row) => row.user_id);
		},
		async addMember(roomId, userId, now) {
			await sql.begin((tx) => letIn(tx, roomId, userId, now));
		},
		async removeMember(roomId, userId, { ban, now }) {
			return sql.begin(async (tx) => {
				const removed = await tx`DELETE FROM memberships
					WHERE room_id = ${roomId} AND user_id = ${userId}`;
				if (removed.count === 0) return false;
				if (ban) {
					await tx`INSERT INTO room_bans (room_id, user_id, banned_at)
						VALUES (${roomId}, ${userId}, ${now})
						ON CONFLICT (room_id, user_id) DO UPDATE SET banned_at = excluded.banned_at`;
				}
				return true;
			});
		},
		async isBanned(roomId, userId) {
			const [row] = await sql`SELECT 1 FROM room_bans
				WHERE room_id = ${roomId} AND user_id = ${userId}`;
			return row !== undefined;
		},
		async bans(roomId) {
			return [
				...(await sql<Awaited<ReturnType<RoomStorage['bans']>>>`
				SELECT u.id, u.username, b.banned_at AS "bannedAt" FROM room_bans b
				JOIN users u ON u.id = b.user_id
				WHERE b.room_id = ${roomId} ORDER BY lower(u.username) COLLATE "C"`)
			];
		},
		async unban(roomId, userId) {
			const result = await sql`DELETE FROM room_bans
				WHERE room_id = ${roomId} AND user_id = ${userId}`;
			return result.count > 0;
		},

		async createInvite({ invite, tokenHash, createdBy }) {
			await sql`INSERT INTO invites
				(id, token_hash, room_id, created_by, created_at, expires_at, max_uses)
				VALUES (${invite.id}, ${tokenHash}, ${invite.roomId}, ${createdBy}, ${invite.createdAt},
					${invite.expiresAt}, ${invite.maxUses})`;
		},
		async activeInvites(roomId, now) {
			const rows = await sql<InviteRow[]>`SELECT * FROM invites
				WHERE room_id = ${roomId} AND revoked_at IS NULL AND expires_at > ${now}
				AND (max_uses IS NULL OR uses < max_uses) ORDER BY created_at DESC, id`;
			return rows.map(toInvite);
		},
		async revokeInvite(roomId, inviteId, now) {
			const result = await sql`UPDATE invites SET revoked_at = COALESCE(revoked_at, ${now})
				WHERE id = ${inviteId} AND room_id = ${roomId}`;
			return result.count > 0;
		},
		findInvite: (tokenHash) => findInvite(sql, tokenHash),
		async acceptInvite(tokenHash, userId, now) {
			// The invite's row lock: the last use goes to exactly one of two simultaneous visitors
			// (the second waits, then reads the row the first committed).
			return sql.begin(async (tx): Promise<AcceptInviteOutcome> => {
				const invite = await findInvite(tx, tokenHash, true);
				if (!invite) return { status: 'not-found' };
				const state = inviteState(invite, now);
				if (state !== 'active') return { status: 'inactive', state };
				const room = await selectRoom(tx, invite.roomId);
				if (!room) return { status: 'not-found' };
				if (await selectMembership(tx, room.id, userId)) return { status: 'already-member', room };
				await letIn(tx, room.id, userId, now);
				await tx`UPDATE invites SET uses = uses + 1 WHERE id = ${invite.id}`;
				return { status: 'joined', room };
			});
		},

		async openDm({ me, others, key, roomId, name, now, admit }) {
			return sql.begin(async (tx): Promise<OpenDmOutcome> => {
				// One set at a time across every instance: the lookup and the insert cannot race
				// (the UNIQUE index on dm_key would refuse a second one anyway).
				await tx`SELECT pg_advisory_xact_lock(hashtextextended(${'dm:' + key}, 0))`;
				const otherIds = others.map((other) => other.id);
				const [declined] = await tx`SELECT 1 FROM dm_declines
					WHERE sender_id = ${me.id} AND recipient_id = ANY(${otherIds}) LIMIT 1`;
				if (declined) return { status: 'declined' };
				const [existing] = await tx<{ id: string }[]>`SELECT id FROM rooms WHERE dm_key = ${key}`;
				let id = roomId;
				let created = false;
				const joined: string[] = [];
				if (existing) {
					id = existing.id;
					if (!(await selectMembership(tx, id, me.id))) {
						await joinAsRecipient(tx, id, me.id, now);
						joined.push(me.id);
					}
				} else {
					const verdict = admit();
					if (!verdict.allowed) {
						return { status: 'refused', retryAfterSeconds: verdict.retryAfterSeconds };
					}
					created = true;
					await tx`INSERT INTO rooms
							(id, name, visibility, owner_id, created_at, kind, dm_key, encrypted)
						VALUES (${roomId}, ${name}, 'private', ${me.id}, ${now}, 'dm', ${key}, true)`;
					await insertMembership(tx, roomId, me.id, now);
					joined.push(me.id);
					for (const other of others) {
						const [shared] = await tx`SELECT 1 FROM memberships a
							JOIN memberships b ON b.room_id = a.room_id AND b.user_id = ${other.id}
							JOIN rooms r ON r.id = a.room_id AND r.kind = 'room'
							WHERE a.user_id = ${me.id} LIMIT 1`;
						if (shared) {
							await insertMembership(tx, roomId, other.id, now);
							joined.push(other.id);
						} else {
							await tx`INSERT INTO dm_requests (room_id, sender_id, recipient_id, created_at)
								VALUES (${roomId}, ${me.id}, ${other.id}, ${now})`;
						}
					}
				}
				const room = await selectRoom(tx, id);
				if (!room) throw new Error(`DM ${id} vanished right after it was opened`);
				const [pending] = await tx`SELECT 1 FROM dm_requests WHERE room_id = ${id} LIMIT 1`;
				return {
					status: 'opened',
					room,
					created,
					dmStatus: pending ? 'pending' : 'active',
					joined
				};
			});
		},
		async listDms(userId) {
			return sql.begin(async (tx) => {
				const rows = await tx<{ id: string; dm_key: string }[]>`SELECT r.id, r.dm_key
					FROM memberships m
					JOIN rooms r ON r.id = m.room_id AND r.kind = 'dm' AND r.dm_key IS NOT NULL
					WHERE m.user_id = ${userId} ORDER BY r.created_at DESC, r.id`;
				const pending = await tx<{ room_id: string; recipient_id: string }[]>`
					SELECT q.room_id, q.recipient_id FROM memberships m
					JOIN dm_requests q ON q.room_id = m.room_id WHERE m.user_id = ${userId}`;
				const people = await peopleOfDms(tx, rows, userId, pending);
				return people.map(({ row, first, others }) => ({
					id: row.id,
					other: first,
					others,
					status: others.some((person) => person.pending)
						? ('pending' as const)
						: ('active' as const)
				}));
			});
		},
		async listDmRequests(userId) {
			return sql.begin(async (tx) => {
				const rows = await tx<
					{ id: string; dm_key: string; sender_id: string; sender_username: string }[]
				>`SELECT q.room_id AS id, r.dm_key, u.id AS sender_id, u.username AS sender_username
					FROM dm_requests q
					JOIN rooms r ON r.id = q.room_id AND r.dm_key IS NOT NULL
					JOIN users u ON u.id = q.sender_id
					WHERE q.recipient_id = ${userId} ORDER BY q.created_at DESC, q.room_id`;
				const pending = await tx<{ room_id: string; recipient_id: string }[]>`
					SELECT p.room_id, p.recipient_id FROM dm_requests q
					JOIN dm_requests p ON p.room_id = q.room_id WHERE q.recipient_id = ${userId}`;
				const people = await peopleOfDms(tx, rows, userId, pending);
				return people.map(({ row, others }) => ({
					id: row.id,
					other: { id: row.sender_id, username: row.sender_username },
					others
				}));
			});
		},
		async acceptDmRequest(roomId, userId, now) {
			return sql.begin(async (tx) => {
				if ((await pendingSender(tx, roomId, userId)) === null) return null;
				await joinAsRecipient(tx, roomId, userId, now);
				return selectRoom(tx, roomId);
			});
		},
		async declineDmRequest(roomId, userId, now) {
			return sql.begin(async (tx) => {
				const sender = await pendingSender(tx, roomId, userId);
				if (sender === null) return false;
				await tx`DELETE FROM dm_requests WHERE room_id = ${roomId} AND recipient_id = ${userId}`;
				await tx`INSERT INTO dm_declines (recipient_id, sender_id, declined_at)
					VALUES (${userId}, ${sender}, ${now})
					ON CONFLICT (recipient_id, sender_id) DO UPDATE SET declined_at = excluded.declined_at`;
				return true;
			});
		}
	};
}
