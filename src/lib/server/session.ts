/**
 * Sessions as Lucia's guide describes them: the token is `<id>.<secret>`; only SHA-256(secret)
 * is stored and compared in constant time; a session expires after SESSION_INACTIVITY_DAYS
 * without use and is renewed (last_verified_at) at most once per ACTIVITY_CHECK_INTERVAL_MS.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import type { AccountStorage, Session, StoredSession, User } from './storage/types';

export const SESSION_COOKIE = 'parley_session';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Renew a session's activity stamp at most this often, so most requests only read. */
export const ACTIVITY_CHECK_INTERVAL_MS = 60 * 60 * 1000;

export type { Session, User } from './storage/types';

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
export async function createSession(
	accounts: AccountStorage,
	userId: string,
	now: number = Date.now()
): Promise<{ session: Session; token: string }> {
	const id = randomSecret();
	const secret = randomSecret();
	const session: Session = { id, userId, createdAt: now, lastVerifiedAt: now };
	await accounts.insertSession({ ...session, secretHash: hashSecret(secret) });
	return { session, token: `${id}.${secret}` };
}

/** What a token's row says, before anything is written. */
type TokenVerdict =
	| { readonly kind: 'invalid' }
	| { readonly kind: 'expired'; readonly id: string }
	| { readonly kind: 'valid'; readonly row: StoredSession; readonly renew: boolean };

/** The session id a token names, when the token has our shape. */
function tokenId(token: string): { id: string; secret: string } | null {
	const parts = token.split('.');
	if (parts.length !== 2) return null;
	const [id, secret] = parts as [string, string];
	if (!id || !secret || id.length > 64 || secret.length > 64) return null;
	return { id, secret };
}

function judgeToken(
	secret: string,
	row: StoredSession | null,
	inactivityDays: number,
	now: number
): TokenVerdict {
	if (!row) return { kind: 'invalid' };
	if (!constantTimeEqual(hashSecret(secret), row.secretHash)) return { kind: 'invalid' };
	if (now - row.lastVerifiedAt >= inactivityDays * DAY_MS) return { kind: 'expired', id: row.id };
	return { kind: 'valid', row, renew: now - row.lastVerifiedAt >= ACTIVITY_CHECK_INTERVAL_MS };
}

function validation(verdict: Extract<TokenVerdict, { kind: 'valid' }>, now: number) {
	const { row, renew } = verdict;
	return {
		session: {
			id: row.id,
			userId: row.userId,
			createdAt: row.createdAt,
			lastVerifiedAt: renew ? now : row.lastVerifiedAt
		},
		user: { id: row.userId, username: row.username },
		renewed: renew
	};
}

/** Checks a cookie token. Expired sessions are deleted; active ones are renewed hourly. */
export async function verifySessionToken(
	accounts: AccountStorage,
	token: string,
	inactivityDays: number,
	now: number = Date.now()
): Promise<SessionValidation> {
	const parsed = tokenId(token);
	if (!parsed) return INVALID;
	const row = await accounts.getSession(parsed.id);
	const verdict = judgeToken(parsed.secret, row, inactivityDays, now);
	if (verdict.kind === 'invalid') return INVALID;
	if (verdict.kind === 'expired') {
		await accounts.deleteSession(verdict.id);
		return INVALID;
	}
	if (verdict.renew) await accounts.touchSession(verdict.row.id, now);
	return validation(verdict, now);
}

export async function invalidateSession(
	accounts: AccountStorage,
	sessionId: string
): Promise<void> {
	await accounts.deleteSession(sessionId);
}

export async function invalidateUserSessions(
	accounts: AccountStorage,
	userId: string
): Promise<void> {
	await accounts.deleteUserSessions(userId);
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
