/**
 * `npm run dev`: attaches the sync server to Vite's dev HTTP server, so the dev app syncs like
 * production. Nothing is loaded until the first /sync/ upgrade (vitest loads this config too,
 * and must not open the database); other upgrades (Vite's HMR socket) are left alone.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Plugin } from 'vite';

type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

async function startSync(): Promise<UpgradeHandler> {
	const [{ getConfig }, { getDb }, { InProcessBus }, { createLogger }, { createSyncService }] =
		await Promise.all([
			import('../src/lib/server/config'),
			import('../src/lib/server/db'),
			import('./bus'),
			import('./logger'),
			import('./service')
		]);
	const config = getConfig();
	const log = createLogger(config);
	// Dev is one process: the in-process bus.
	const sync = createSyncService({ config, db: getDb(), bus: new InProcessBus(), log });
	return sync.handleUpgrade;
}

export function parleySync(): Plugin {
	return {
		name: 'parley-sync',
		apply: 'serve',
		configureServer(server) {
			let handler: Promise<UpgradeHandler> | undefined;
			server.httpServer?.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
				if (!request.url?.startsWith('/sync/')) return;
				handler ??= startSync();
				handler.then(
					(handle) => handle(request, socket, head),
					(error: unknown) => {
						server.config.logger.error(`parley sync failed to start: ${String(error)}`);
						socket.destroy();
					}
				);
			});
		}
	};
}
