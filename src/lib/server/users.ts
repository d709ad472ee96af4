/**
 * Accounts: creating users and checking their credentials. Usernames are unique without
 * regard to case (the column is COLLATE NOCASE) and by their look-alike skeleton
 * (username-skeleton.ts, a UNIQUE column); the spelling given at sign-up is kept.
 */
import type { Db } from './db';
import { generateId } from './id';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password';
import type { User } from './session';
import { usernameSkeleton } from './username-skeleton';

export type RegisterResult =
	| { readonly ok: true; readonly user: User }
	| { readonly ok: false; readonly reason: 'username-taken' | 'username-lookalike' };

/** What a refused sign-up tells the person (409, next to the username field on the form). */
export const REGISTER_REFUSALS: Record<Extract<RegisterResult, { ok: false }>['reason'], string> = {
	'username-taken': 'That username is taken.',
	'username-lookalike': 'That username looks too much like an existing name.'
};

interface UserRow {
	id: string;
	username: string;
	password_hash: string;
}

export function findUserByUsername(db: Db, username: string): User | null {
	const row = db.prepare('SELECT id, username FROM users WHERE username = ?').get(username) as
		User | undefined;
	return row ?? null;
}

export function getUserById(db: Db, userId: string): User | null {
	const row = db.prepare('SELECT id, username FROM users WHERE id = ?').get(userId) as
		User | undefined;
	return row ?? null;
}

/** Creates an account. The caller has validated username and password against the rules. */
export async function createUser(
	db: Db,
	username: string,
	password: string,
	now: number = Date.now()
): Promise<RegisterResult> {
	const skeleton = usernameSkeleton(username);
	const clash = findClash(db, username, skeleton);
	if (clash) return { ok: false, reason: clash };
	const passwordHash = await hashPassword(password);
	const user: User = { id: generateId(), username };
	try {
		db.prepare(
			`INSERT INTO users (id, username, username_skeleton, password_hash, created_at)
			 VALUES (?, ?, ?, ?, ?)`
		).run(user.id, username, skeleton, passwordHash, now);
	} catch (error) {
		// Two sign-ups for one name can both pass the check above while hashing; the UNIQUE
		// constraints decide, and the loser gets the same answer as a plain duplicate.
		if (isUniqueViolation(error)) {
			return { ok: false, reason: findClash(db, username, skeleton) ?? 'username-taken' };
		}
		throw error;
	}
	return { ok: true, user };
}

/** Whether the name, or a name that looks like it, is already someone's. */
function findClash(
	db: Db,
	username: string,
	skeleton: string
): 'username-taken' | 'username-lookalike' | null {
	if (findUserByUsername(db, username)) return 'username-taken';
	const lookalike = db.prepare('SELECT 1 FROM users WHERE username_skeleton = ?').get(skeleton);
	return lookalike ? 'username-lookalike' : null;
}

/** The user when the credentials match; null otherwise, in about the same time either way. */
export async function authenticateUser(
	db: Db,
	username: string,
	password: string
): Promise<User | null> {
	const row = db
		.prepare('SELECT id, username, password_hash FROM users WHERE username = ?')
		.get(username) as UserRow | undefined;
	if (!row) return verifyAgainstDummy(password).then(() => null);
	const matches = await verifyPassword(row.password_hash, password);
	return matches ? { id: row.id, username: row.username } : null;
}

function isUniqueViolation(error: unknown): boolean {
	return (
		typeof error === 'object' &&
		error !== null &&
		'code' in error &&
		error.code === 'SQLITE_CONSTRAINT_UNIQUE'
	);
}
