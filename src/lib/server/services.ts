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
import type { Config } from './config';
import { createEvents, type ServerEvents } from './events';
import { createLimits, type Limits } from './limits';
import { withMembershipEvents } from './membership-events';
import { openSqliteStorage } from './storage/sqlite';
import { databaseFile } from './storage/sqlite/db';
import type { Storage } from './storage/types';

export interface Services {
	readonly config: Config;
	readonly storage: Storage;
	/** What the HTTP side tells the sync server: session ended, membership revoked. */
	readonly events: ServerEvents;
	/** This instance's rate limiters (logins, sign-ups, new rooms and DMs). */
	readonly limits: Limits;
	/** Closes what the services opened (the storage). */
	close(): Promise<void>;
}

export interface ServiceOptions {
	/** The emitter to use (default: a new one). */
	readonly events?: ServerEvents;
	/** The storage to use (default: SQLite in DATA_DIR). */
	readonly storage?: Storage;
}

export function createServices(config: Config, options: ServiceOptions = {}): Services {
	const events = options.events ?? createEvents();
	// A storage handed in (tests) is used as is; the one opened here tells the sync server of new
	// memberships (membership-events.ts).
	const storage =
		options.storage ??
		withMembershipEvents(openSqliteStorage(databaseFile(config.DATA_DIR)), events);
	return {
		config,
		storage,
		events,
		limits: createLimits(config),
		close: () => storage.close()
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
