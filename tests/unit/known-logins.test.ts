import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/storage/sqlite/db';
import {
	KNOWN_LOGIN_DAYS,
	newDeviceToken,
	parseDeviceToken,
	recognizeLogin,
	rememberLogin
} from '../../src/lib/server/known-logins';
import { openTempDatabase, type TempDatabase } from '../support/temp-db';
import type { SqliteStorage } from '../../src/lib/server/storage/sqlite';

const DAY_MS = 24 * 60 * 60 * 1000;
let temp: TempDatabase;
let db: Db;
let storage: SqliteStorage;

beforeEach(async () => {
	temp = openTempDatabase('parley-known-logins-', ['alice', 'bob']);
	db = temp.db;
	storage = temp.storage;
});

afterEach(() => {
	temp.dispose();
});

describe('known logins', () => {
	it('recognizes the device first, then the address, for the user who logged in there only', async () => {
		const device = newDeviceToken();
		await rememberLogin(storage.accounts, 'alice', device, '10.0.0.1', 0);
		expect(await recognizeLogin(storage.accounts, 'alice', device, '10.9.9.9', 1)).toMatchObject({
			kind: 'device'
		});
		expect(await recognizeLogin(storage.accounts, 'alice', null, '10.0.0.1', 1)).toEqual({
			kind: 'address'
		});
		expect(
			await recognizeLogin(storage.accounts, 'alice', newDeviceToken(), '10.9.9.9', 1)
		).toEqual({
			kind: 'stranger'
		});
		expect(await recognizeLogin(storage.accounts, 'bob', device, '10.0.0.1', 1)).toEqual({
			kind: 'stranger'
		});
	});

	it('forgets a device and an address not used for KNOWN_LOGIN_DAYS', async () => {
		const device = newDeviceToken();
		await rememberLogin(storage.accounts, 'alice', device, '10.0.0.1', 0);
		const later = KNOWN_LOGIN_DAYS * DAY_MS + 1;
		expect(await recognizeLogin(storage.accounts, 'alice', device, '10.0.0.1', later)).toEqual({
			kind: 'stranger'
		});
	});

	it('keeps at most 50 devices and addresses per user, dropping the least recently used', async () => {
		const first = newDeviceToken();
		await rememberLogin(storage.accounts, 'alice', first, '10.0.0.0', 0);
		for (let i = 1; i <= 30; i++)
			await rememberLogin(storage.accounts, 'alice', newDeviceToken(), `10.0.0.${i}`, i);
		const count = db.prepare("SELECT COUNT(*) AS n FROM known_logins WHERE user_id = 'alice'");
		expect(count.get()).toEqual({ n: 50 });
		expect(await recognizeLogin(storage.accounts, 'alice', first, '10.0.0.0', 31)).toEqual({
			kind: 'stranger'
		});
		expect(await recognizeLogin(storage.accounts, 'alice', null, '10.0.0.30', 31)).toEqual({
			kind: 'address'
		});
	});

	it('takes only device tokens of its own format from the cookie', async () => {
		const token = newDeviceToken();
		expect(parseDeviceToken(token)).toBe(token);
		expect(parseDeviceToken(undefined)).toBeNull();
		expect(parseDeviceToken('1'.repeat(24))).toBeNull();
		expect(parseDeviceToken(`${token}; other=1`)).toBeNull();
	});
});
