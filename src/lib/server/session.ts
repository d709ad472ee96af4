/**
 * Sessions as Lucia's guide describes them: the token is `<id>.<secret>`; only SHA-256(secret)
 * is stored and compared in constant time; a session expires after SESSION_INACTIVITY_DAYS
 * without use and is renewed (last_verified_at) at most once per ACTIVITY_CHECK_INTERVAL_MS.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { cachedStatement, type Db } from './db';

export const SESSION_COOKIE = 'parley_session';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Renew a session's activity stamp at most this often, so most requests only read. */
export const ACTIVITY_CHECK_INTERVAL_MS = 60 * 60 * 1000;

export interface User {
	readonly id: string;
	readonly username: string;
}

export interface Session {
	readonly id: string;
	readonly userId: string;
	readonly createdAt: number;
	readonly lastVerifiedAt: number;
}

export type SessionValidation =
	| { readonly session: Session; readonly user: User; readonly renewed: boolean }
	| { readonly session: null; readonly user: null; readonly renewed: false };

const INVALID: SessionValidation = { session: null, user: null, renewed: false };

function randomSecret(): string {
	const bytes = new Uint8Array(24);
	crypto.getRandomValues(bytes);
	return encodeBase32LowerCaseNoPadding(bytes);
}

function hashSecret(secret: string): Uint8Array {
	return sha256(new TextEncoder().encode(secret));
}

/** Creates a session for a user; returns it with the token to put in the cookie. */
export function createSession(
	db: Db,
	userId: string,
	now: number = Date.now()
): { session: Session; token: string } {
	const id = randomSecret();
	const secret = randomSecret();
	db.prepare(
		'INSERT INTO sessions (id, secret_hash, user_id, created_at, last_verified_at) VALUES (?, ?, ?, ?, ?)'
	).run(id, hashSecret(secret), userId, now, now);
	return {
		session: { id, userId, createdAt: now, lastVerifiedAt: now },
		token: `${id}.${secret}`
	};
}

interface SessionRow {
	id: string;
	secret_hash: Buffer;
	user_id: string;
	created_at: number;
	last_verified_at: number;
	username: string;
}

/** Runs on every request and every sync upgrade. */
const SELECT_SESSION = `SELECT s.id, s.secret_hash, s.user_id, s.created_at, s.last_verified_at, u.username
	FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`;

/** Checks a cookie token. Expired sessions are deleted; active ones are renewed hourly. */
export function validateSessionToken(
	db: Db,
	token: string,
	inactivityDays: number,
	now: number = Date.now()
): SessionValidation {
	const parts = token.split('.');
	if (parts.length !== 2) return INVALID;
	const [id, secret] = parts as [string, string];
	if (!id || !secret || id.length > 64 || secret.length > 64) return INVALID;
	const row = cachedStatement<[string], SessionRow>(db, SELECT_SESSION).get(id);
	if (!row) return INVALID;
	if (!constantTimeEqual(hashSecret(secret), new Uint8Array(row.secret_hash))) return INVALID;
	if (now - row.last_verified_at >= inactivityDays * DAY_MS) {
		invalidateSession(db, id);
		return INVALID;
	}
	let lastVerifiedAt = row.last_verified_at;
	let renewed = false;
	if (now - row.last_verified_at >= ACTIVITY_CHECK_INTERVAL_MS) {
		db.prepare('UPDATE sessions SET last_verified_at = ? WHERE id = ?').run(now, id);
		lastVerifiedAt = now;
		renewed = true;
	}
	return {
		session: { id, userId: row.user_id, createdAt: row.created_at, lastVerifiedAt },
		user: { id: row.user_id, username: row.username },
		renewed
	};
}

export function invalidateSession(db: Db, sessionId: string): void {
	db.prepare('DELETE FROM sessions WHERE id = ?').run(sessionId);
}

export function invalidateUserSessions(db: Db, userId: string): void {
	db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
}

/** The cookie's expiry: the moment the session would lapse without further use. */
export function sessionExpiresAt(session: Session, inactivityDays: number): Date {
	return new Date(session.lastVerifiedAt + inactivityDays * DAY_MS);
}

/** Reads one cookie from a raw Cookie header (for the WebSocket upgrade, which has no kit cookies). */
export function readCookie(header: string | undefined, name: string): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq === -1) continue;
		if (part.slice(0, eq).trim() === name) {
			const raw = part.slice(eq + 1).trim();
			try {
				return decodeURIComponent(raw);
			} catch {
				return null;
			}
		}
	}
	return null;
}
