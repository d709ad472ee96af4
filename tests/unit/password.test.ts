import { describe, expect, it } from 'vitest';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../../src/lib/server/password';
import { LoginSchema, parseInput, RegisterSchema } from '../../src/lib/server/schemas';

describe('password hashing', () => {
	it('produces an argon2id hash with the OWASP parameters that verifies only the right password', async () => {
		const stored = await hashPassword('correct horse battery');
		expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
		expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
		expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
	});

	it('salts each hash, so equal passwords hash differently', async () => {
		expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
	});

	it('treats a malformed stored hash as a mismatch instead of throwing', async () => {
		expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
	});

	it('answers false for the dummy check used for unknown users', async () => {
		expect(await verifyAgainstDummy('whatever')).toBe(false);
	});
});

describe('registration rules', () => {
	function fieldsOf(input: unknown): Record<string, string> {
		const result = parseInput(RegisterSchema, input);
		return result.ok ? {} : result.fields;
	}

	it('accept a valid username and password, trimming the username', () => {
		const result = parseInput(RegisterSchema, {
			username: ' alice.b-c_1 ',
			password: 'longenough'
		});
		expect(result).toEqual({ ok: true, data: { username: 'alice.b-c_1', password: 'longenough' } });
	});

	it('reject usernames that are too short, too long or use other characters', () => {
		expect(fieldsOf({ username: 'ab', password: 'longenough' }).username).toMatch(/at least 3/);
		expect(fieldsOf({ username: 'a'.repeat(33), password: 'longenough' }).username).toMatch(
			/at most 32/
		);
		expect(fieldsOf({ username: 'al ice', password: 'longenough' }).username).toMatch(
			/letters, digits/
		);
		expect(fieldsOf({ username: 'émile', password: 'longenough' }).username).toBeDefined();
	});

	it('reject passwords outside 8 to 128 characters', () => {
		expect(fieldsOf({ username: 'alice', password: 'short' }).password).toMatch(/at least 8/);
		expect(fieldsOf({ username: 'alice', password: 'x'.repeat(129) }).password).toMatch(
			/at most 128/
		);
		expect(fieldsOf({ username: 'alice', password: 'x'.repeat(128) })).toEqual({});
	});

	it('reject a password equal to the username, whatever the case', () => {
		expect(fieldsOf({ username: 'alicealice', password: 'AliceAlice' }).password).toMatch(
			/same as the username/
		);
	});

	it('say that the body must be an object when it is not one', () => {
		const result = parseInput(RegisterSchema, ['alice']);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message).toMatch(/JSON object/);
	});

	it('require both fields when logging in but not the registration rules', () => {
		expect(parseInput(LoginSchema, { username: 'ab', password: 'x' }).ok).toBe(true);
		expect(parseInput(LoginSchema, { username: '', password: 'x' }).ok).toBe(false);
		expect(parseInput(LoginSchema, { username: 'alice' }).ok).toBe(false);
	});
});
