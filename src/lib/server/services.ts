/**
 * The composition root's parts (docs/design.md, "Composition root"): `createServices` builds
 * what the app needs once, at start-up — the config, the storage, the events the HTTP side
 * tells the sync server, the rate limiters — and hands them out; no module reaches for a global.
 *
 * How the SvelteKit side gets them (hooks.server.ts puts them on `event.locals.services`):
 * - Production (sync-server/main.ts): adapter-node passes `platform: { req }` to every request;
 *   main.ts attaches the services to each `req` under `SERVICES_KEY` before calling the handler
 *   (`attachServices`), and the hook reads them back (`servicesFromPlatform`). The key is a
 *   `Symbol.for`, because the built app and main.ts load this module as two separate copies.
 * - Dev (`npm run dev`, sync-server/vite-plugin.ts): SvelteKit's dev server passes no
 *   `platform`. The plugin builds the services and, before each request, loads this very
 *   module through Vite's SSR module graph (`server.ssrLoadModule`) — the instance
 *   hooks.server.ts imports — and calls `provideDevServices(services)`. The hook falls back to
 *   `devServices()` only when `platform.req` carries none. Calling it on every request keeps
 *   the services in place after a hot reload of this module.
 * Tests build their own services (or just a storage) and pass them in.
 */
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Config } from './config';
import { createEvents, type ServerEvents } from './events';
import { createLimits, type Limits } from './limits';
import { openPostgresStorage } from './storage/postgres';
import type { BlobStore } from './storage/blobs';
import { createLocalBlobStore } from './storage/local/blobs';
import { withMembershipEvents } from './membership-events';
import { openSqliteStorage } from './storage/sqlite';
import { databaseFile } from './storage/sqlite/db';
import type { Storage } from './storage/types';

export interface Services {
	readonly config: Config;
	readonly storage: Storage;
	/**
	 * Uploaded files' bytes, content-addressed: the directory DATA_DIR/files, or the PostgreSQL
	 * database (BLOB_STORE, by default `postgres` when DATABASE_URL is set).
	 */
	readonly blobs: BlobStore;
	/** What the HTTP side tells the sync server: session ended, membership revoked. */
	readonly events: ServerEvents;
	/** This instance's rate limiters (logins, sign-ups, new rooms and DMs). */
	readonly limits: Limits;
	/**
	 * Whether the database answers (for /readyz): always with SQLite; with PostgreSQL, the last
	 * probe's answer (a probe every STORAGE_PROBE_MS).
	 */
	isStorageReady(): boolean;
	/** Closes what the services opened (the storage). */
	close(): Promise<void>;
}

export interface ServiceOptions {
	/** The emitter to use (default: a new one). */
	readonly events?: ServerEvents;
	/** The storage to use (default: SQLite in DATA_DIR). */
	readonly storage?: Storage;
	/** The blob store to use (default: the local directory DATA_DIR/files). */
	readonly blobs?: BlobStore;
}

/** Synchronous: SQLite (or the given storage). With DATABASE_URL set, use `openServices`. */
export function createServices(config: Config, options: ServiceOptions = {}): Services {
	if (!options.storage && config.DATABASE_URL) {
		// Never a silent fallback to SQLite when PostgreSQL was asked for.
		throw new Error('DATABASE_URL is set: open the services with openServices()');
	}
	const events = options.events ?? createEvents();
	// A storage handed in (tests, openServices) is used as is; the one opened here tells the sync
	// server of new memberships (membership-events.ts).
	const storage =
		options.storage ??
		withMembershipEvents(
			openSqliteStorage(databaseFile(config.DATA_DIR), config.SQLITE_SYNCHRONOUS),
			events
		);
	return {
		config,
		storage,
		blobs: options.blobs ?? createLocalBlobStore(join(config.DATA_DIR, 'files')),
		events,
		limits: createLimits(config),
		isStorageReady: () => true,
		close: () => storage.close()
	};
}

/** How often the PostgreSQL connection is probed for /readyz, in ms. */
export const STORAGE_PROBE_MS = 1_000;

/** The database of DATABASE_URL could not be opened: the message names the variable. */
export class DatabaseUnavailableError extends Error {
	override name = 'DatabaseUnavailableError';
}

/** Where DATABASE_URL points, without its credentials (for messages). */
function describeDatabase(url: string): string {
	const parsed = new URL(url);
	return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * The composition root's entry: SQLite when DATABASE_URL is unset (as `createServices`), else
 * PostgreSQL, connected and migrated before it resolves. Rejects with DatabaseUnavailableError
 * when the database cannot be reached or refuses the credentials.
 */
export async function openServices(
	config: Config,
	options: ServiceOptions = {}
): Promise<Services> {
	const url = config.DATABASE_URL;
	if (options.storage || !url) return createServices(config, options);
	let storage: Awaited<ReturnType<typeof openPostgresStorage>>;
	try {
		storage = await openPostgresStorage(url);
	} catch (error) {
		const reason = error instanceof Error ? error.message : String(error);
		throw new DatabaseUnavailableError(
			`DATABASE_URL: cannot open the PostgreSQL database at ${describeDatabase(url)}: ${reason}`,
			{ cause: error }
		);
	}
	let ready = true;
	const probe = setInterval(() => {
		storage.ping().then(
			() => (ready = true),
			() => (ready = false)
		);
	}, STORAGE_PROBE_MS);
	probe.unref();
	const events = options.events ?? createEvents();
	const blobs = options.blobs ?? (config.BLOB_STORE === 'postgres' ? storage.blobs : undefined);
	const services = createServices(config, {
		...options,
		events,
		storage: withMembershipEvents(storage, events),
		blobs
	});
	return {
		...services,
		isStorageReady: () => ready,
		async close() {
			clearInterval(probe);
			await storage.close();
		}
	};
}

/** Where main.ts puts the services on each request (see the file's comment). */
export const SERVICES_KEY: unique symbol = Symbol.for('parley.services');

/** A Node request that may carry the services (adapter-node's `platform.req`). */
export type RequestWithServices = IncomingMessage & { [SERVICES_KEY]?: Services };

/** Production: hands the services to the SvelteKit request that `req` becomes. */
export function attachServices(req: IncomingMessage, services: Services): void {
	(req as RequestWithServices)[SERVICES_KEY] = services;
}

/** The services main.ts attached to this request, if any. */
export function servicesFromPlatform(platform: App.Platform | undefined): Services | undefined {
	return platform?.req?.[SERVICES_KEY];
}

let provided: Services | undefined;

/** Dev only (sync-server/vite-plugin.ts): the services for requests without a platform. */
export function provideDevServices(services: Services): void {
	provided = services;
}

export function devServices(): Services | undefined {
	return provided;
}
