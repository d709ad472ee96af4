/**
 * `npm run dev`: the dev composition root. Builds the services (src/lib/server/services.ts) on
 * the first request, hands them to the SvelteKit side and attaches the sync server to Vite's
 * dev HTTP server, so the dev app syncs like production. Nothing is built before a request
 * (vitest loads this config too, and must not open the database); upgrades other than /sync/
 * (Vite's HMR socket) are left alone.
 *
 * SvelteKit's dev server passes no `platform` to requests, so the services cannot ride on the
 * request as in production (sync-server/main.ts). Instead, before each request, this plugin
 * loads services.ts through Vite's SSR module graph — `server.ssrLoadModule`, the very module
 * instance hooks.server.ts imports — and calls its `provideDevServices(services)`. Calling it
 * on every request (the module is cached) keeps the services in place after a hot reload.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Plugin, ViteDevServer } from 'vite';
import type { Services } from '../src/lib/server/services';

type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

interface DevApp {
	readonly services: Services;
	readonly handleUpgrade: UpgradeHandler;
}

async function startApp(): Promise<DevApp> {
	const [{ getConfig }, { openServices }, bus, logger, service] = await Promise.all([
		import('../src/lib/server/config'),
		import('../src/lib/server/services'),
		import('./bus'),
		import('./logger'),
		import('./service')
	]);
	const config = getConfig();
	const log = logger.createLogger(config);
	const services = await openServices(config);
	// Dev is one process: the in-process bus.
	const sync = service.createSyncService({
		config,
		storage: services.storage,
		events: services.events,
		bus: new bus.InProcessBus(),
		log
	});
	return { services, handleUpgrade: sync.handleUpgrade };
}

/** Hands the services to the SSR module graph's copy of services.ts (see above). */
async function provideToSsr(server: ViteDevServer, services: Services): Promise<void> {
	const ssr = (await server.ssrLoadModule('/src/lib/server/services.ts')) as Pick<
		typeof import('../src/lib/server/services'),
		'provideDevServices'
	>;
	ssr.provideDevServices(services);
}

export function parleySync(): Plugin {
	return {
		name: 'parley-sync',
		apply: 'serve',
		configureServer(server) {
			let app: Promise<DevApp> | undefined;
			const fail = (error: unknown): void =>
				server.config.logger.error(`parley failed to start: ${String(error)}`);
			// Runs before SvelteKit's own middleware (that one is added after configureServer).
			server.middlewares.use((_request, _response, next) => {
				app ??= startApp();
				app
					.then((started) => provideToSsr(server, started.services))
					.then(
						() => next(),
						(error: unknown) => {
							fail(error);
							next(error);
						}
					);
			});
			server.httpServer?.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
				if (!request.url?.startsWith('/sync/')) return;
				app ??= startApp();
				app.then(
					(started) => started.handleUpgrade(request, socket, head),
					(error: unknown) => {
						fail(error);
						socket.destroy();
					}
				);
			});
		}
	};
}
