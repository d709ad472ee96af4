/**
 * Accounts: creating users and checking their credentials. Usernames are unique without
 * regard to case and by their look-alike skeleton (username-skeleton.ts); the spelling given
 * at sign-up is kept.
 */
import { generateId } from './id';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password';
import type { AccountStorage, CreateUserOutcome, User } from './storage/types';
import { usernameSkeleton } from './username-skeleton';

export type RegisterResult = CreateUserOutcome;

/** What a refused sign-up tells the person (409, next to the username field on the form). */
export const REGISTER_REFUSALS: Record<Extract<RegisterResult, { ok: false }>['reason'], string> = {
	'username-taken': 'That username is taken.',
	'username-lookalike': 'That username looks too much like an existing name.'
};

/** Creates an account. The caller has validated username and password against the rules. */
export async function createUser(
	accounts: AccountStorage,
	username: string,
	password: string,
	now: number = Date.now()
): Promise<RegisterResult> {
	const skeleton = usernameSkeleton(username);
	// Checked before hashing too, so a taken name costs no hash; the insert checks again.
	const clash = await accounts.findUsernameClash(username, skeleton);
	if (clash) return { ok: false, reason: clash };
	const passwordHash = await hashPassword(password);
	const user: User = { id: generateId(), username };
	return accounts.createUser({ user, skeleton, passwordHash, now });
}

/** The user when the credentials match; null otherwise, in about the same time either way. */
export async function authenticateUser(
	accounts: AccountStorage,
	username: string,
	password: string
): Promise<User | null> {
	const found = await accounts.findCredentials(username);
	if (!found) return verifyAgainstDummy(password).then(() => null);
	const matches = await verifyPassword(found.passwordHash, password);
	return matches ? found.user : null;
}
