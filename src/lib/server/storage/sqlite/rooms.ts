/** `storage.rooms` on SQLite: rooms, memberships, bans, invites, DMs and DM requests / declines. */
import { dmKeyIds, dmOthers, inviteState } from '../rules';
import { newRoom, toInvite, toRoom, type InviteRow, type RoomRow } from '../rows';
import type {
	AcceptInviteOutcome,
	Invite,
	OpenDmOutcome,
	Profile,
	Role,
	Room,
	RoomOfUser,
	RoomStorage
} from '../types';
import { cachedStatement, type Db } from './db';

function selectRoom(db: Db, roomId: string): Room | null {
	const row = db.prepare('SELECT * FROM rooms WHERE id = ?').get(roomId) as RoomRow | undefined;
	return row ? toRoom(row) : null;
}

/**
 * The user's role in the room, or null (synchronous: also the sync server's upgrade path until
 * issue 13's merge). Asked on every room request and sync upgrade.
 */
export function selectMembership(db: Db, roomId: string, userId: string): Role | null {
	return (
		cachedStatement<[string, string], { role: Role }>(
			db,
			'SELECT role FROM memberships WHERE room_id = ? AND user_id = ?'
		).get(roomId, userId)?.role ?? null
	);
}

/** A plain membership: no-op when the user is in already. */
function insertMembership(db: Db, roomId: string, userId: string, now: number): void {
	db.prepare(
		"INSERT OR IGNORE INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)"
	).run(roomId, userId, now);
}

/** Being let in (invite, owner) also lifts a ban. */
function letIn(db: Db, roomId: string, userId: string, now: number): void {
	insertMembership(db, roomId, userId, now);
	db.prepare('DELETE FROM room_bans WHERE room_id = ? AND user_id = ?').run(roomId, userId);
}

function sharesRoom(db: Db, userA: string, userB: string): boolean {
	const row = db
		.prepare(
			`SELECT 1 FROM memberships a
			 JOIN memberships b ON b.room_id = a.room_id AND b.user_id = ?
			 JOIN rooms r ON r.id = a.room_id AND r.kind = 'room'
			 WHERE a.user_id = ? LIMIT 1`
		)
		.get(userB, userA);
	return row !== undefined;
}

function hasPendingRequest(db: Db, roomId: string): boolean {
	return db.prepare('SELECT 1 FROM dm_requests WHERE room_id = ?').get(roomId) !== undefined;
}

function pendingSender(db: Db, roomId: string, recipientId: string): string | null {
	const row = db
		.prepare('SELECT sender_id FROM dm_requests WHERE room_id = ? AND recipient_id = ?')
		.get(roomId, recipientId) as { sender_id: string } | undefined;
	return row?.sender_id ?? null;
}

/**
 * The recipient accepts: their request goes, the membership comes, the sender (the DM's
 * creator, `owner_id`, who sent every request of it) is unblocked.
 */
function joinAsRecipient(db: Db, roomId: string, me: string, now: number): void {
	db.prepare('DELETE FROM dm_requests WHERE room_id = ? AND recipient_id = ?').run(roomId, me);
	db.prepare(
		`DELETE FROM dm_declines WHERE recipient_id = ?
		 AND sender_id = (SELECT owner_id FROM rooms WHERE id = ?)`
	).run(me, roomId);
	// Everyone is a plain member: a DM has no owner who could add or remove anyone.
	insertMembership(db, roomId, me, now);
}

/** The profiles of these ids (those that exist), by id. */
export function profilesById(db: Db, ids: Iterable<string>): Map<string, Profile> {
	const rows = cachedStatement<[string], Profile>(
		db,
		`SELECT id, username, display_name AS displayName, avatar_version AS avatar FROM users
		  WHERE id IN (SELECT value FROM json_each(?))`
	).all(JSON.stringify([...new Set(ids)]));
	return new Map(rows.map((row) => [row.id, row]));
}

/** "<room>:<recipient>" of each pending request in `rows`. */
function pendingKeys(rows: { room_id: string; recipient_id: string }[]): Set<string> {
	return new Set(rows.map((row) => `${row.room_id}:${row.recipient_id}`));
}

/** The DM rows' people as `viewerId` sees them (dmOthers), a DM without any left out. */
function peopleOfDms<T extends { id: string; dm_key: string }>(
	db: Db,
	rows: T[],
	viewerId: string,
	pending: Set<string>
) {
	const users = profilesById(
		db,
		rows.flatMap((row) => dmKeyIds(row.dm_key))
	);
	return rows.flatMap((row) => {
		const waiting = new Set(dmKeyIds(row.dm_key).filter((id) => pending.has(`${row.id}:${id}`)));
		const others = dmOthers(row.dm_key, viewerId, users, waiting);
		const first = others[0];
		return first ? [{ row, first: { id: first.id, username: first.username }, others }] : [];
	});
}

export function sqliteRooms(db: Db): RoomStorage {
	return {
		async get(roomId) {
			return selectRoom(db, roomId);
		},
		async membership(roomId, userId) {
			return selectMembership(db, roomId, userId);
		},
		async updateSettings(roomId, change) {
			const changed = db
				.prepare(
					`UPDATE rooms SET name = coalesce(@name, name), topic = coalesce(@topic, topic),
					   archived_at = CASE WHEN @archive = 1 THEN @archivedAt ELSE archived_at END
					 WHERE id = @id`
				)
				.run({
					id: roomId,
					name: change.name ?? null,
					topic: change.topic ?? null,
					archive: change.archivedAt === undefined ? 0 : 1,
					archivedAt: change.archivedAt ?? null
				});
			return changed.changes > 0 ? selectRoom(db, roomId) : null;
		},
		async create({ id, name, visibility, ownerId, now, encrypted = false }) {
			db.transaction(() => {
				db.prepare(
					`INSERT INTO rooms (id, name, visibility, owner_id, created_at, encrypted)
					 VALUES (?, ?, ?, ?, ?, ?)`
				).run(id, name, visibility, ownerId, now, encrypted ? 1 : 0);
				db.prepare(
					"INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)"
				).run(id, ownerId, now);
			})();
			return newRoom({ id, name, visibility, ownerId, now, encrypted });
		},
		async listOfUser(userId) {
			const rows = db
				.prepare(
					`SELECT r.id, r.name, r.visibility, r.kind, m.role, r.encrypted FROM memberships m
					 JOIN rooms r ON r.id = m.room_id
					 WHERE m.user_id = ? AND r.kind = 'room' ORDER BY r.created_at DESC, r.id`
				)
				.all(userId) as (Omit<RoomOfUser, 'encrypted'> & { encrypted: number })[];
			return rows.map((row) => ({ ...row, encrypted: row.encrypted === 1 }));
		},
		async listPublic(userId, limit) {
			const rows = db
				.prepare(
					`SELECT r.id, r.name, EXISTS (
						SELECT 1 FROM memberships m WHERE m.room_id = r.id AND m.user_id = ?
					 ) AS joined
					 FROM rooms r WHERE r.visibility = 'public' AND r.kind = 'room'
					 ORDER BY r.created_at DESC, r.id LIMIT ?`
				)
				.all(userId, limit) as { id: string; name: string; joined: number }[];
			return rows.map((row) => ({ id: row.id, name: row.name, joined: row.joined === 1 }));
		},
		async members(roomId) {
			return db
				.prepare(
					`SELECT u.id, u.username, u.display_name AS displayName, u.avatar_version AS avatar, m.role
					 FROM memberships m JOIN users u ON u.id = m.user_id
					 WHERE m.room_id = ? ORDER BY m.role = 'owner' DESC, u.username COLLATE NOCASE`
				)
				.all(roomId) as Awaited<ReturnType<RoomStorage['members']>>;
		},
		async memberIds(roomId) {
			return cachedStatement<[string], { user_id: string }>(
				db,
				'SELECT user_id FROM memberships WHERE room_id = ?'
			)
				.all(roomId)
				.map((row) => row.user_id);
		},
		async addMember(roomId, userId, now) {
			db.transaction(() => letIn(db, roomId, userId, now))();
		},
		async removeMember(roomId, userId, { ban, now }) {
			return db.transaction((): boolean => {
				const removed = db
					.prepare('DELETE FROM memberships WHERE room_id = ? AND user_id = ?')
					.run(roomId, userId);
				if (removed.changes === 0) return false;
				if (ban) {
					db.prepare(
						'INSERT OR REPLACE INTO room_bans (room_id, user_id, banned_at) VALUES (?, ?, ?)'
					).run(roomId, userId, now);
				}
				return true;
			})();
		},
		async isBanned(roomId, userId) {
			return (
				db
					.prepare('SELECT 1 FROM room_bans WHERE room_id = ? AND user_id = ?')
					.get(roomId, userId) !== undefined
			);
		},
		async bans(roomId) {
			return db
				.prepare(
					`SELECT u.id, u.username, b.banned_at AS bannedAt FROM room_bans b
					 JOIN users u ON u.id = b.user_id
					 WHERE b.room_id = ? ORDER BY u.username COLLATE NOCASE`
				)
				.all(roomId) as Awaited<ReturnType<RoomStorage['bans']>>;
		},
		async unban(roomId, userId) {
			return (
				db.prepare('DELETE FROM room_bans WHERE room_id = ? AND user_id = ?').run(roomId, userId)
					.changes > 0
			);
		},

		async createInvite({ invite, tokenHash, createdBy }) {
			db.prepare(
				`INSERT INTO invites (id, token_hash, room_id, created_by, created_at, expires_at, max_uses)
				 VALUES (?, ?, ?, ?, ?, ?, ?)`
			).run(
				invite.id,
				tokenHash,
				invite.roomId,
				createdBy,
				invite.createdAt,
				invite.expiresAt,
				invite.maxUses
			);
		},
		async activeInvites(roomId, now) {
			const rows = db
				.prepare(
					`SELECT * FROM invites WHERE room_id = ? AND revoked_at IS NULL AND expires_at > ?
					 AND (max_uses IS NULL OR uses < max_uses) ORDER BY created_at DESC, id`
				)
				.all(roomId, now) as InviteRow[];
			return rows.map(toInvite);
		},
		async revokeInvite(roomId, inviteId, now) {
			return db.transaction((): boolean => {
				const found = db
					.prepare('SELECT 1 FROM invites WHERE id = ? AND room_id = ?')
					.get(inviteId, roomId);
				if (!found) return false;
				db.prepare('UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
					now,
					inviteId
				);
				return true;
			})();
		},
		async findInvite(tokenHash) {
			return findInvite(db, tokenHash);
		},
		async acceptInvite(tokenHash, userId, now) {
			// IMMEDIATE: the last use of an invite goes to exactly one of two simultaneous visitors.
			const accept = db.transaction((): AcceptInviteOutcome => {
				const invite = findInvite(db, tokenHash);
				if (!invite) return { status: 'not-found' };
				const state = inviteState(invite, now);
				if (state !== 'active') return { status: 'inactive', state };
				const room = selectRoom(db, invite.roomId);
				if (!room) return { status: 'not-found' };
				if (selectMembership(db, room.id, userId)) return { status: 'already-member', room };
				letIn(db, room.id, userId, now);
				db.prepare('UPDATE invites SET uses = uses + 1 WHERE id = ?').run(invite.id);
				return { status: 'joined', room };
			});
			return accept.immediate();
		},

		async openDm({ me, others, key, roomId, name, now, admit }) {
			// IMMEDIATE takes the write lock before the lookup: another instance sharing the file
			// cannot insert the same set between our SELECT and INSERT (the UNIQUE index would
			// refuse it anyway).
			const open = db.transaction(
				(): OpenDmOutcome | { roomId: string; created: boolean; joined: string[] } => {
					const declined = db
						.prepare(
							`SELECT 1 FROM dm_declines WHERE sender_id = ?
							 AND recipient_id IN (SELECT value FROM json_each(?)) LIMIT 1`
						)
						.get(me.id, JSON.stringify(others.map((other) => other.id)));
					if (declined) return { status: 'declined' };
					const existing = db.prepare('SELECT id FROM rooms WHERE dm_key = ?').get(key) as
						{ id: string } | undefined;
					if (existing) {
						if (selectMembership(db, existing.id, me.id)) {
							return { roomId: existing.id, created: false, joined: [] };
						}
						joinAsRecipient(db, existing.id, me.id, now);
						return { roomId: existing.id, created: false, joined: [me.id] };
					}
					const verdict = admit();
					if (!verdict.allowed) {
						return { status: 'refused', retryAfterSeconds: verdict.retryAfterSeconds };
					}
					db.prepare(
						`INSERT INTO rooms (id, name, visibility, owner_id, created_at, kind, dm_key, encrypted)
						 VALUES (?, ?, 'private', ?, ?, 'dm', ?, 1)`
					).run(roomId, name, me.id, now, key);
					insertMembership(db, roomId, me.id, now);
					const joined = [me.id];
					for (const other of others) {
						if (sharesRoom(db, me.id, other.id)) {
							insertMembership(db, roomId, other.id, now);
							joined.push(other.id);
						} else {
							db.prepare(
								'INSERT INTO dm_requests (room_id, sender_id, recipient_id, created_at) VALUES (?, ?, ?, ?)'
							).run(roomId, me.id, other.id, now);
						}
					}
					return { roomId, created: true, joined };
				}
			);
			const opened = open.immediate();
			if ('status' in opened) return opened;
			const room = selectRoom(db, opened.roomId);
			if (!room) throw new Error(`DM ${opened.roomId} vanished right after it was opened`);
			const dmStatus = hasPendingRequest(db, room.id) ? 'pending' : 'active';
			return {
				status: 'opened',
				room,
				created: opened.created,
				dmStatus,
				joined: opened.joined
			};
		},
		async listDms(userId) {
			const rows = db
				.prepare(
					`SELECT r.id, r.dm_key
					 FROM memberships m
					 JOIN rooms r ON r.id = m.room_id AND r.kind = 'dm' AND r.dm_key IS NOT NULL
					 WHERE m.user_id = ? ORDER BY r.created_at DESC, r.id`
				)
				.all(userId) as { id: string; dm_key: string }[];
			const pending = pendingKeys(
				db
					.prepare(
						`SELECT q.room_id, q.recipient_id FROM memberships m
						 JOIN dm_requests q ON q.room_id = m.room_id WHERE m.user_id = ?`
					)
					.all(userId) as { room_id: string; recipient_id: string }[]
			);
			return peopleOfDms(db, rows, userId, pending).map(({ row, first, others }) => ({
				id: row.id,
				other: first,
				others,
				status: others.some((person) => person.pending) ? 'pending' : 'active'
			}));
		},
		async listDmRequests(userId) {
			const rows = db
				.prepare(
					`SELECT q.room_id AS id, r.dm_key, u.id AS sender_id, u.username AS sender_username
					 FROM dm_requests q
					 JOIN rooms r ON r.id = q.room_id AND r.dm_key IS NOT NULL
					 JOIN users u ON u.id = q.sender_id
					 WHERE q.recipient_id = ? ORDER BY q.created_at DESC, q.room_id`
				)
				.all(userId) as {
				id: string;
				dm_key: string;
				sender_id: string;
				sender_username: string;
			}[];
			const pending = pendingKeys(
				db
					.prepare(
						`SELECT p.room_id, p.recipient_id FROM dm_requests q
						 JOIN dm_requests p ON p.room_id = q.room_id WHERE q.recipient_id = ?`
					)
					.all(userId) as { room_id: string; recipient_id: string }[]
			);
			return peopleOfDms(db, rows, userId, pending).map(({ row, others }) => ({
				id: row.id,
				other: { id: row.sender_id, username: row.sender_username },
				others
			}));
		},
		async acceptDmRequest(roomId, userId, now) {
			const accept = db.transaction((): boolean => {
				if (pendingSender(db, roomId, userId) === null) return false;
				joinAsRecipient(db, roomId, userId, now);
				return true;
			});
			return accept.immediate() ? selectRoom(db, roomId) : null;
		},
		async declineDmRequest(roomId, userId, now) {
			const decline = db.transaction((): boolean => {
				const sender = pendingSender(db, roomId, userId);
				if (sender === null) return false;
				db.prepare('DELETE FROM dm_requests WHERE room_id = ? AND recipient_id = ?').run(
					roomId,
					userId
				);
				db.prepare(
					'INSERT OR REPLACE INTO dm_declines (recipient_id, sender_id, declined_at) VALUES (?, ?, ?)'
				).run(userId, sender, now);
				return true;
			});
			return decline.immediate();
		}
	};
}

function findInvite(db: Db, tokenHash: Uint8Array): Invite | null {
	const row = db.prepare('SELECT * FROM invites WHERE token_hash = ?').get(tokenHash) as
		InviteRow | undefined;
	return row ? toInvite(row) : null;
}
