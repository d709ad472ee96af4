/**
 * The confusable skeleton of usernames (src/lib/server/username-skeleton.ts): look-alikes share
 * one, distinct-looking names do not, and the SQL version that migration 9 runs agrees with the
 * TypeScript one for any username (fast-check; the seed is in the test name).
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { usernameSkeleton, usernameSkeletonSql } from '../../src/lib/server/username-skeleton';

const USERNAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-'.split(
	''
);
const username = fc
	.array(fc.constantFrom(...USERNAME_CHARS, 'rn', 'vv', 'RN', 'VV', 'Il1', 'O0o'), {
		minLength: 1,
		maxLength: 16
	})
	.map((parts) => parts.join('').slice(0, 32));

const memory = new Database(':memory:');
afterAll(() => memory.close());
const sqlSkeleton = memory.prepare<[string], { skeleton: string }>(
	`SELECT ${usernameSkeletonSql('?')} AS skeleton`
);

describe('usernameSkeleton', () => {
	it.each([
		['alice1', ['aliceI', 'alicel', 'aliceL', 'alicei', 'ALICE1', 'aIice1']],
		['bob0', ['bobO', 'bobo', 'B0BO']],
		['modern', ['rnodern', 'modem', 'MODERN', 'rnodem']],
		['wave', ['vvave', 'VVave', 'wAVE']]
	])('gives %s and its look-alikes one skeleton', (name, lookalikes) => {
		for (const lookalike of lookalikes) {
			expect(usernameSkeleton(lookalike), lookalike).toBe(usernameSkeleton(name));
		}
	});

	it('keeps names that do not look alike apart', () => {
		const names = ['alice', 'alex', 'bob', 'bobby', 'moan', 'man', 'van', 'wan', 'dara', 'clara'];
		expect(new Set(names.map(usernameSkeleton)).size).toBe(names.length);
		expect(usernameSkeleton('alice_b')).not.toBe(usernameSkeleton('alice-b'));
	});

	const seed = Date.now() % 2_147_483_647;
	it(`does not depend on case, is stable, and equals the SQL of migration 9 (seed ${seed})`, () => {
		fc.assert(
			fc.property(username, (name) => {
				const skeleton = usernameSkeleton(name);
				expect(usernameSkeleton(name.toUpperCase())).toBe(skeleton);
				expect(usernameSkeleton(skeleton)).toBe(skeleton);
				expect(sqlSkeleton.get(name)?.skeleton).toBe(skeleton);
			}),
			{ seed, numRuns: 2_000 }
		);
	});
});
