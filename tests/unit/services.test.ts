import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/server/config';
import { createEvents } from '../../src/lib/server/events';
import {
	attachServices,
	createServices,
	DatabaseUnavailableError,
	devServices,
	openServices,
	provideDevServices,
	servicesFromPlatform,
	type Services
} from '../../src/lib/server/services';
import { openSqliteStorage, type SqliteStorage } from '../../src/lib/server/storage/sqlite';
import { makeTempDir } from '../support/server';

let dir: string;
let services: Services;

beforeEach(() => {
	dir = makeTempDir('parley-services-');
	services = createServices(parseConfig({ DATA_DIR: dir }));
});

afterEach(async () => {
	await services.close();
	rmSync(dir, { recursive: true, force: true });
});

describe('the composition root', () => {
	it('never opens SQLite when DATABASE_URL asks for PostgreSQL, nor prints its password', async () => {
		const dataDir = join(dir, 'postgres-deployment');
		const config = parseConfig({
			DATA_DIR: dataDir,
			DATABASE_URL: 'postgres://parley:pw@127.0.0.1:1/parley'
		});
		expect(() => createServices(config)).toThrow(/DATABASE_URL/);
		// Without a storage handed in, openServices goes to PostgreSQL (nothing listens on port 1).
		const error = await openServices(config).then(
			() => null,
			(failure: unknown) => failure
		);
		expect(error).toBeInstanceOf(DatabaseUnavailableError);
		expect((error as Error).message).toContain('DATABASE_URL');
		expect((error as Error).message).toContain('127.0.0.1:1/parley');
		expect((error as Error).message).not.toContain('pw@');
		expect(existsSync(join(dataDir, 'parley.db'))).toBe(false);
		for (const bad of ['mysql://x@y/z', 'postgres://parley:hunter2@host:port/db']) {
			expect(() => parseConfig({ DATABASE_URL: bad })).toThrow(/DATABASE_URL/);
			expect(() => parseConfig({ DATABASE_URL: bad })).not.toThrow(/hunter2/);
		}
	});

	it('builds storage on the DATA_DIR database, open until the services close', async () => {
		expect(services.config.DATA_DIR).toBe(dir);
		const room = await services.storage.rooms.get('nope');
		expect(room).toBeNull();
		expect(existsSync(join(dir, 'parley.db'))).toBe(true);
		await services.close();
		await expect(services.storage.rooms.get('nope')).rejects.toThrow();
	});

	it('opens SQLite with synchronous=NORMAL by default and FULL with SQLITE_SYNCHRONOUS=full', async () => {
		const read = (storage: unknown): unknown =>
			storage && typeof storage === 'object' && 'synchronous' in storage
				? (storage as SqliteStorage).synchronous()
				: 'not SQLite';
		expect(read(services.storage)).toBe('normal');
		const full = createServices(parseConfig({ DATA_DIR: dir, SQLITE_SYNCHRONOUS: 'full' }));
		try {
			expect(read(full.storage)).toBe('full');
		} finally {
			await full.close();
		}
		expect(() => parseConfig({ SQLITE_SYNCHRONOUS: 'off' })).toThrow(/SQLITE_SYNCHRONOUS/);
	});

	it('keeps blobs in PostgreSQL by default with DATABASE_URL, locally without; BLOB_STORE chooses', () => {
		const url = 'postgres://parley:secret@127.0.0.1:1/parley';
		expect(parseConfig({}).BLOB_STORE).toBe('local');
		expect(parseConfig({ DATABASE_URL: url }).BLOB_STORE).toBe('postgres');
		expect(parseConfig({ DATABASE_URL: url, BLOB_STORE: 'local' }).BLOB_STORE).toBe('local');
		expect(() => parseConfig({ BLOB_STORE: 'postgres' })).toThrow(/BLOB_STORE.*DATABASE_URL/);
		expect(() => parseConfig({ BLOB_STORE: 's3' })).toThrow(/BLOB_STORE/);
	});

	it('gives each set of services its own events unless one is handed in', async () => {
		const storage = openSqliteStorage(join(dir, 'parley.db'));
		const other = createServices(services.config, { storage });
		expect(other.storage).toBe(storage);
		expect(other.events).not.toBe(services.events);
		const shared = createEvents();
		expect(createServices(services.config, { events: shared, storage }).events).toBe(shared);
		await other.close();
	});

	it('builds the rate limiters from the config, one set per services', async () => {
		const config = parseConfig({ DATA_DIR: dir, ROOMS_PER_HOUR: '2', DMS_PER_HOUR: '1' });
		const limited = createServices(config, { storage: openSqliteStorage(join(dir, 'parley.db')) });
		try {
			expect(limited.limits.rooms.consume('u').allowed).toBe(true);
			expect(limited.limits.rooms.consume('u').allowed).toBe(true);
			expect(limited.limits.rooms.consume('u').allowed).toBe(false);
			expect(limited.limits.dms.consume('u').allowed).toBe(true);
			expect(limited.limits.dms.consume('u').allowed).toBe(false);
			// Another set of services counts on its own.
			expect(services.limits.rooms.consume('u').allowed).toBe(true);
		} finally {
			await limited.close();
		}
	});

	it('hands the services to SvelteKit on the Node request, and only there', () => {
		const req = new IncomingMessage(new Socket());
		expect(servicesFromPlatform({ req })).toBeUndefined();
		expect(servicesFromPlatform(undefined)).toBeUndefined();
		attachServices(req, services);
		expect(servicesFromPlatform({ req })).toBe(services);
		expect(servicesFromPlatform({ req: new IncomingMessage(new Socket()) })).toBeUndefined();
	});

	it('keeps the services the dev plugin provides', () => {
		provideDevServices(services);
		expect(devServices()).toBe(services);
	});
});
