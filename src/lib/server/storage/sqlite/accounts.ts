/** `storage.accounts` on SQLite: users (COLLATE NOCASE names, UNIQUE skeletons), sessions, known logins. */
import { toStoredSession, type SessionRow } from '../rows';
import type {
	AccountStorage,
	CreateUserOutcome,
	Profile,
	StoredAvatar,
	StoredSession,
	User
} from '../types';
import { cachedStatement, type Db } from './db';

/** Runs on every request and every sync upgrade. */
const SELECT_SESSION = `SELECT s.id, s.secret_hash, s.user_id, s.created_at, s.last_verified_at, u.username
	FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`;

/** The session with its user (synchronous: also the sync server's upgrade path until issue 13's merge). */
export function selectSession(db: Db, sessionId: string): StoredSession | null {
	const row = cachedStatement<[string], SessionRow & { secret_hash: Buffer }>(
		db,
		SELECT_SESSION
	).get(sessionId);
	return row ? toStoredSession(row) : null;
}

export function touchSession(db: Db, sessionId: string, now: number): void {
	db.prepare('UPDATE sessions SET last_verified_at = ? WHERE id = ?').run(now, sessionId);
}

export function deleteSession(db: Db, sessionId: string): void {
	db.prepare('DELETE FROM sessions WHERE id = ?').run(sessionId);
}

function findUser(db: Db, username: string): User | null {
	const row = db.prepare('SELECT id, username FROM users WHERE username = ?').get(username) as
		User | undefined;
	return row ?? null;
}

function findClash(
	db: Db,
	username: string,
	skeleton: string
): 'username-taken' | 'username-lookalike' | null {
	if (findUser(db, username)) return 'username-taken';
	const lookalike = db.prepare('SELECT 1 FROM users WHERE username_skeleton = ?').get(skeleton);
	return lookalike ? 'username-lookalike' : null;
}

function isUniqueViolation(error: unknown): boolean {
	return (
		typeof error === 'object' &&
		error !== null &&
		'code' in error &&
		error.code === 'SQLITE_CONSTRAINT_UNIQUE'
	);
}

export function sqliteAccounts(db: Db): AccountStorage {
	const profileOf = (userId: string): Profile | null =>
		cachedStatement<[string], Profile>(
			db,
			`SELECT id, username, display_name AS displayName, avatar_version AS avatar
			 FROM users WHERE id = ?`
		).get(userId) ?? null;
	const avatarOf = (userId: string): StoredAvatar | null =>
		cachedStatement<[string], StoredAvatar>(
			db,
			`SELECT avatar_sha256 AS sha256, avatar_type AS type, avatar_version AS version
			 FROM users WHERE id = ? AND avatar_sha256 IS NOT NULL`
		).get(userId) ?? null;
	const replaceAvatar = db.transaction(
		(userId: string, avatar: StoredAvatar | null, now: number): void => {
			const old = avatarOf(userId);
			db.prepare(
				'UPDATE users SET avatar_sha256 = ?, avatar_type = ?, avatar_version = ? WHERE id = ?'
			).run(avatar?.sha256 ?? null, avatar?.type ?? null, avatar?.version ?? null, userId);
			if (old && old.sha256 !== avatar?.sha256) {
				db.prepare('INSERT INTO retired_avatars (sha256, retired_at) VALUES (?, ?)').run(
					old.sha256,
					now
				);
			}
		}
	);
	return {
		async findUserByUsername(username) {
			return findUser(db, username);
		},
		async getUser(userId) {
			const row = db.prepare('SELECT id, username FROM users WHERE id = ?').get(userId) as
				User | undefined;
			return row ?? null;
		},
		async getProfile(userId) {
			return profileOf(userId);
		},
		async setDisplayName(userId, displayName) {
			cachedStatement<[string, string]>(db, 'UPDATE users SET display_name = ? WHERE id = ?').run(
				displayName,
				userId
			);
			return profileOf(userId);
		},
		async getAvatar(userId) {
			return avatarOf(userId);
		},
		async setAvatar(userId, avatar, now) {
			replaceAvatar.immediate(userId, avatar, now);
			return profileOf(userId);
		},
		async findCredentials(username) {
			const row = db
				.prepare('SELECT id, username, password_hash FROM users WHERE username = ?')
				.get(username) as { id: string; username: string; password_hash: string } | undefined;
			return row
				? { user: { id: row.id, username: row.username }, passwordHash: row.password_hash }
				: null;
		},
		async findUsernameClash(username, skeleton) {
			return findClash(db, username, skeleton);
		},
		async createUser({ user, skeleton, passwordHash, now }) {
			const insert = db.transaction((): CreateUserOutcome => {
				const clash = findClash(db, user.username, skeleton);
				if (clash) return { ok: false, reason: clash };
				db.prepare(
					`INSERT INTO users (id, username, username_skeleton, password_hash, created_at)
					 VALUES (?, ?, ?, ?, ?)`
				).run(user.id, user.username, skeleton, passwordHash, now);
				return { ok: true, user };
			});
			try {
				return insert.immediate();
			} catch (error) {
				// Another process's insert between our check and ours: the UNIQUE constraints decide.
				if (!isUniqueViolation(error)) throw error;
				return { ok: false, reason: findClash(db, user.username, skeleton) ?? 'username-taken' };
			}
		},

		async insertSession({ id, secretHash, userId, createdAt, lastVerifiedAt }) {
			db.prepare(
				'INSERT INTO sessions (id, secret_hash, user_id, created_at, last_verified_at) VALUES (?, ?, ?, ?, ?)'
			).run(id, secretHash, userId, createdAt, lastVerifiedAt);
		},
		async getSession(sessionId) {
			return selectSession(db, sessionId);
		},
		async touchSession(sessionId, now) {
			touchSession(db, sessionId, now);
		},
		async deleteSession(sessionId) {
			deleteSession(db, sessionId);
		},
		async deleteUserSessions(userId) {
			db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
		},

		async isKnownLogin(userId, keyHash, since) {
			return (
				db
					.prepare(
						'SELECT 1 FROM known_logins WHERE user_id = ? AND key_hash = ? AND last_seen_at >= ?'
					)
					.get(userId, keyHash, since) !== undefined
			);
		},
		async rememberLogin({ userId, keyHashes, now, forgetBefore, keepPerUser }) {
			const upsert = db.prepare(
				`INSERT INTO known_logins (user_id, key_hash, last_seen_at) VALUES (?, ?, ?)
				 ON CONFLICT (user_id, key_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at`
			);
			db.transaction(() => {
				for (const hash of keyHashes) upsert.run(userId, hash, now);
				db.prepare(
					`DELETE FROM known_logins WHERE user_id = ? AND (last_seen_at < ? OR key_hash NOT IN (
						SELECT key_hash FROM known_logins WHERE user_id = ? ORDER BY last_seen_at DESC LIMIT ?
					))`
				).run(userId, forgetBefore, userId, keepPerUser);
			})();
		}
	};
}
