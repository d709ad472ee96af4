import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import {
	ACTIVITY_CHECK_INTERVAL_MS,
	createSession,
	invalidateSession,
	invalidateUserSessions,
	readCookie,
	sessionExpiresAt,
	verifySessionToken
} from '../../src/lib/server/session';
import { createSqliteStorage, type SqliteStorage } from '../../src/lib/server/storage/sqlite';
import { makeTempDir } from '../support/server';

const DAY_MS = 24 * 60 * 60 * 1000;
const INACTIVITY_DAYS = 30;
const T0 = Date.UTC(2025, 0, 1);

let dir: string;
let db: Db;
let storage: SqliteStorage;

beforeEach(async () => {
	dir = makeTempDir('parley-session-');
	db = openDatabase(join(dir, 'parley.db'));
	storage = createSqliteStorage(db);
	db.prepare(
		"INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'alice', 'x', 0)"
	).run();
});

afterEach(() => {
	db.close();
	rmSync(dir, { recursive: true, force: true });
});

function sessionCount(): number {
	return (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
}

describe('sessions', () => {
	it('validate a fresh token and name its user', async () => {
		const { token, session } = await createSession(storage.accounts, 'u1', T0);
		const result = await verifySessionToken(storage.accounts, token, INACTIVITY_DAYS, T0 + 1000);
		expect(result.user).toEqual({ id: 'u1', username: 'alice' });
		expect(result.session?.id).toBe(session.id);
		expect(result.renewed).toBe(false);
	});

	it('store only a hash of the secret, never the token', async () => {
		const { token } = await createSession(storage.accounts, 'u1', T0);
		const secret = token.split('.')[1] ?? '';
		const row = db.prepare('SELECT secret_hash FROM sessions').get() as { secret_hash: Buffer };
		expect(row.secret_hash.byteLength).toBe(32);
		expect(row.secret_hash.toString('utf8')).not.toContain(secret);
	});

	it('reject a token whose secret is wrong, and malformed tokens', async () => {
		const { token } = await createSession(storage.accounts, 'u1', T0);
		const [id] = token.split('.');
		expect(
			(await verifySessionToken(storage.accounts, `${id}.wrongsecret`, INACTIVITY_DAYS, T0)).user
		).toBeNull();
		expect(
			(await verifySessionToken(storage.accounts, 'no-dot', INACTIVITY_DAYS, T0)).user
		).toBeNull();
		expect(
			(await verifySessionToken(storage.accounts, `${id}.`, INACTIVITY_DAYS, T0)).user
		).toBeNull();
		expect(sessionCount()).toBe(1);
	});

	it('expire and delete a session unused for the inactivity period', async () => {
		const { token } = await createSession(storage.accounts, 'u1', T0);
		const later = T0 + INACTIVITY_DAYS * DAY_MS;
		expect(
			(await verifySessionToken(storage.accounts, token, INACTIVITY_DAYS, later)).session
		).toBeNull();
		expect(sessionCount()).toBe(0);
	});

	it('renew the activity stamp once the check interval has passed, and say so', async () => {
		const { token } = await createSession(storage.accounts, 'u1', T0);
		const before = await verifySessionToken(
			storage.accounts,
			token,
			INACTIVITY_DAYS,
			T0 + ACTIVITY_CHECK_INTERVAL_MS - 1
		);
		expect(before.renewed).toBe(false);

		const at = T0 + ACTIVITY_CHECK_INTERVAL_MS;
		const result = await verifySessionToken(storage.accounts, token, INACTIVITY_DAYS, at);
		expect(result.renewed).toBe(true);
		expect(result.session?.lastVerifiedAt).toBe(at);
		const row = db.prepare('SELECT last_verified_at FROM sessions').get() as {
			last_verified_at: number;
		};
		expect(row.last_verified_at).toBe(at);
		if (!result.session) throw new Error('expected a session');
		expect(sessionExpiresAt(result.session, INACTIVITY_DAYS).getTime()).toBe(
			at + INACTIVITY_DAYS * DAY_MS
		);
	});

	it('keep a session alive past the inactivity period when it keeps being used', async () => {
		const { token } = await createSession(storage.accounts, 'u1', T0);
		const midway = T0 + (INACTIVITY_DAYS - 1) * DAY_MS;
		expect(
			(await verifySessionToken(storage.accounts, token, INACTIVITY_DAYS, midway)).renewed
		).toBe(true);
		const beyondFirstExpiry = T0 + (INACTIVITY_DAYS + 5) * DAY_MS;
		expect(
			(await verifySessionToken(storage.accounts, token, INACTIVITY_DAYS, beyondFirstExpiry)).user
				?.id
		).toBe('u1');
	});

	it('stop validating after logout, for one session or all of a user', async () => {
		const first = await createSession(storage.accounts, 'u1', T0);
		const second = await createSession(storage.accounts, 'u1', T0);
		await invalidateSession(storage.accounts, first.session.id);
		expect(
			(await verifySessionToken(storage.accounts, first.token, INACTIVITY_DAYS, T0)).user
		).toBeNull();
		expect(
			(await verifySessionToken(storage.accounts, second.token, INACTIVITY_DAYS, T0)).user
		).not.toBeNull();
		await invalidateUserSessions(storage.accounts, 'u1');
		expect(
			(await verifySessionToken(storage.accounts, second.token, INACTIVITY_DAYS, T0)).user
		).toBeNull();
	});

	it('read one cookie out of a Cookie header', async () => {
		expect(readCookie('a=1; parley_session=abc.def; b=2', 'parley_session')).toBe('abc.def');
		expect(readCookie('a=1', 'parley_session')).toBeNull();
		expect(readCookie(undefined, 'parley_session')).toBeNull();
	});
});

describe('session lookups', () => {
	it('prepare their query once per database and read each database’s own sessions', async () => {
		const otherDir = makeTempDir('parley-session-other-');
		const other = openDatabase(join(otherDir, 'parley.db'));
		try {
			other
				.prepare(
					"INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'bob', 'x', 0)"
				)
				.run();
			const here = await createSession(storage.accounts, 'u1', T0);
			const there = await createSession(createSqliteStorage(other).accounts, 'u1', T0);
			const prepareHere = vi.spyOn(db, 'prepare');
			for (let i = 0; i < 3; i++) {
				expect(
					(await verifySessionToken(storage.accounts, here.token, INACTIVITY_DAYS, T0)).user
						?.username
				).toBe('alice');
			}
			expect(prepareHere.mock.calls.length).toBeLessThanOrEqual(1);
			const otherAccounts = createSqliteStorage(other).accounts;
			expect(
				(await verifySessionToken(otherAccounts, there.token, INACTIVITY_DAYS, T0)).user?.username
			).toBe('bob');
			expect(
				(await verifySessionToken(otherAccounts, here.token, INACTIVITY_DAYS, T0)).user
			).toBeNull();
			prepareHere.mockRestore();
		} finally {
			other.close();
			rmSync(otherDir, { recursive: true, force: true });
		}
	});
});
