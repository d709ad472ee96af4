/** `storage.accounts` on PostgreSQL: users (unique lower(username) and skeleton), sessions, known logins. */
import { toStoredSession, type SessionRow } from '../rows';
import type { AccountStorage, Profile, StoredAvatar, User } from '../types';
import { isUniqueViolation, type Sql } from './db';

async function findUser(sql: Sql, username: string): Promise<User | null> {
	const [row] = await sql<User[]>`SELECT id, username FROM users
		WHERE lower(username) = lower(${username})`;
	return row ?? null;
}

async function findClash(
	sql: Sql,
	username: string,
	skeleton: string
): Promise<'username-taken' | 'username-lookalike' | null> {
	if (await findUser(sql, username)) return 'username-taken';
	const [lookalike] = await sql`SELECT 1 FROM users WHERE username_skeleton = ${skeleton}`;
	return lookalike ? 'username-lookalike' : null;
}

export function postgresAccounts(sql: Sql): AccountStorage {
	return {
		findUserByUsername: (username) => findUser(sql, username),
		async getUser(userId) {
			const [row] = await sql<User[]>`SELECT id, username FROM users WHERE id = ${userId}`;
			return row ?? null;
		},
		async getProfile(userId) {
			const [row] = await sql<Profile[]>`SELECT id, username, display_name AS "displayName",
				avatar_version AS avatar FROM users WHERE id = ${userId}`;
			return row ?? null;
		},
		async setDisplayName(userId, displayName) {
			const [row] = await sql<Profile[]>`UPDATE users SET display_name = ${displayName}
				WHERE id = ${userId}
				RETURNING id, username, display_name AS "displayName", avatar_version AS avatar`;
			return row ?? null;
		},
		async getAvatar(userId) {
			const [row] = await sql<StoredAvatar[]>`SELECT avatar_sha256 AS sha256, avatar_type AS type,
				avatar_version AS version FROM users WHERE id = ${userId} AND avatar_sha256 IS NOT NULL`;
			return row ?? null;
		},
		async setAvatar(userId, avatar, now) {
			return sql.begin(async (tx) => {
				const [old] = await tx<{ sha256: string | null }[]>`SELECT avatar_sha256 AS sha256
					FROM users WHERE id = ${userId} FOR UPDATE`;
				if (!old) return null;
				const [row] = await tx<
					Profile[]
				>`UPDATE users SET avatar_sha256 = ${avatar?.sha256 ?? null},
					avatar_type = ${avatar?.type ?? null}, avatar_version = ${avatar?.version ?? null}
					WHERE id = ${userId}
					RETURNING id, username, display_name AS "displayName", avatar_version AS avatar`;
				if (old.sha256 !== null && old.sha256 !== avatar?.sha256) {
					await tx`INSERT INTO retired_avatars (sha256, retired_at) VALUES (${old.sha256}, ${now})`;
				}
				return row ?? null;
			});
		},
		async findCredentials(username) {
			const [row] = await sql<{ id: string; username: string; password_hash: string }[]>`
				SELECT id, username, password_hash FROM users WHERE lower(username) = lower(${username})`;
			return row
				? { user: { id: row.id, username: row.username }, passwordHash: row.password_hash }
				: null;
		},
		findUsernameClash: (username, skeleton) => findClash(sql, username, skeleton),
		async createUser({ user, skeleton, passwordHash, now }) {
			const clash = await findClash(sql, user.username, skeleton);
			if (clash) return { ok: false, reason: clash };
			try {
				await sql`INSERT INTO users (id, username, username_skeleton, password_hash, created_at)
					VALUES (${user.id}, ${user.username}, ${skeleton}, ${passwordHash}, ${now})`;
				return { ok: true, user };
			} catch (error) {
				// Another instance's insert between our check and ours: the UNIQUE indexes decide.
				if (!isUniqueViolation(error)) throw error;
				return {
					ok: false,
					reason: (await findClash(sql, user.username, skeleton)) ?? 'username-taken'
				};
			}
		},

		async insertSession({ id, secretHash, userId, createdAt, lastVerifiedAt }) {
			await sql`INSERT INTO sessions (id, secret_hash, user_id, created_at, last_verified_at)
				VALUES (${id}, ${secretHash}, ${userId}, ${createdAt}, ${lastVerifiedAt})`;
		},
		async getSession(sessionId) {
			const [row] = await sql<
				SessionRow[]
			>`SELECT s.id, s.secret_hash, s.user_id, s.created_at, s.last_verified_at, u.username
				FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ${sessionId}`;
			return row ? toStoredSession(row) : null;
		},
		async touchSession(sessionId, now) {
			await sql`UPDATE sessions SET last_verified_at = ${now} WHERE id = ${sessionId}`;
		},
		async deleteSession(sessionId) {
			await sql`DELETE FROM sessions WHERE id = ${sessionId}`;
		},
		async deleteUserSessions(userId) {
			await sql`DELETE FROM sessions WHERE user_id = ${userId}`;
		},

		async isKnownLogin(userId, keyHash, since) {
			const [row] = await sql`SELECT 1 FROM known_logins
				WHERE user_id = ${userId} AND key_hash = ${keyHash} AND last_seen_at >= ${since}`;
			return row !== undefined;
		},
		async rememberLogin({ userId, keyHashes, now, forgetBefore, keepPerUser }) {
			await sql.begin(async (tx) => {
				for (const hash of keyHashes) {
					await tx`INSERT INTO known_logins (user_id, key_hash, last_seen_at)
						VALUES (${userId}, ${hash}, ${now})
						ON CONFLICT (user_id, key_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at`;
				}
				await tx`DELETE FROM known_logins WHERE user_id = ${userId} AND (
					last_seen_at < ${forgetBefore} OR key_hash NOT IN (
						SELECT key_hash FROM known_logins WHERE user_id = ${userId}
						ORDER BY last_seen_at DESC LIMIT ${keepPerUser}))`;
			});
		}
	};
}
