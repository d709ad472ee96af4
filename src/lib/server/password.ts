/**
 * Password hashing with argon2id (OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane).
 */
import { hash, verify } from '@node-rs/argon2';

const ARGON2_OPTIONS = {
	// Argon2id is @node-rs/argon2's default algorithm; its enum is a `const enum`, which
	// `verbatimModuleSyntax` cannot import, so we rely on the default rather than naming it.
	memoryCost: 19_456,
	timeCost: 2,
	parallelism: 1
} as const;

export function hashPassword(password: string): Promise<string> {
	return hash(password, ARGON2_OPTIONS);
}

/** True when `password` matches the stored hash; false for a mismatch or a malformed hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
	try {
		return await verify(storedHash, password);
	} catch {
		return false;
	}
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies against a throwaway hash so that a login for an unknown username costs as much
 * time as one with a wrong password: response timing must not reveal which names exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
	dummyHash ??= hashPassword('parley-dummy-password-for-timing');
	await verifyPassword(await dummyHash, password);
	return false;
}
