/**
 * The Parley program: one HTTP server that serves the SvelteKit app (adapter-node's handler)
 * and the sync server (WebSocket upgrades on /sync/<roomId>). Wiring only; no logic here.
 */
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, getConfig, type Config } from '../src/lib/server/config';
import { closeDb, getDb } from '../src/lib/server/db';
import { createLogger } from './logger';

function loadConfig(): Config {
	try {
		return getConfig();
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(error.message);
			process.exit(1);
		}
		throw error;
	}
}

const config = loadConfig();
const log = createLogger(config);

// adapter-node's handler reads ORIGIN itself; give it the one we validated and defaulted.
process.env.ORIGIN = config.ORIGIN;

const handlerFile = fileURLToPath(new URL('../build/handler.js', import.meta.url));
if (!existsSync(handlerFile)) {
	console.error('build/handler.js is missing: run `npm run build` first (npm start does).');
	process.exit(1);
}
const { handler } = (await import(handlerFile)) as {
	handler: (
		req: import('node:http').IncomingMessage,
		res: import('node:http').ServerResponse
	) => void;
};

getDb();
const server = createServer(handler);

server.listen(config.PORT, config.HOST, () => {
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.PORT;
	log.info({ port, host: config.HOST, origin: config.ORIGIN }, 'listening');
});

function shutdown(signal: string): void {
	log.info({ signal }, 'shutting down');
	server.close(() => {
		closeDb();
		process.exit(0);
	});
	server.closeAllConnections();
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
