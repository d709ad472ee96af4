/**
 * The Parley program and its composition root: builds the services once (config, storage,
 * events: src/lib/server/services.ts) and the bus, hands them to the sync server and — on each
 * request, as adapter-node's `platform.req` — to the SvelteKit app, then serves both on one
 * HTTP server (WebSocket upgrades on /sync/<roomId>). Wiring only; no logic here.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, getConfig, type Config } from '../src/lib/server/config';
import {
	attachServices,
	DatabaseUnavailableError,
	openServices,
	type Services
} from '../src/lib/server/services';
import { scheduleFileGc } from '../src/lib/server/file-gc';
import { InProcessBus } from './bus';
import { createRedisBus, type RedisBus } from './bus-redis';
import { lingerAfterAnswer } from './linger';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { createMetricsServer, handleOpsRequest } from './ops';
import { createSyncService } from './service';
import type { Bus } from './types';

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
const metrics = createMetrics();

// adapter-node's handler reads ORIGIN itself; give it the one we validated and defaulted.
process.env.ORIGIN = config.ORIGIN;
// It also caps every request body at BODY_SIZE_LIMIT (read at import), one number for all
// routes: the upload limit. Every other route's body is cut at 16 KiB while it streams, by
// the limitBody hook (src/hooks.server.ts).
process.env.BODY_SIZE_LIMIT = String(config.MAX_UPLOAD_BYTES);
// The client address comes from TRUSTED_PROXIES alone (src/lib/server/client-address.ts):
// adapter-node's own header settings would believe X-Forwarded-For from anyone.
delete process.env.ADDRESS_HEADER;
delete process.env.XFF_DEPTH;

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

const services = await openOrExit();

/** The services; a database that cannot be opened is named (DATABASE_URL) and ends the process. */
async function openOrExit(): Promise<Services> {
	try {
		return await openServices(config);
	} catch (error) {
		if (error instanceof DatabaseUnavailableError) {
			console.error(error.message);
			process.exit(1);
		}
		throw error;
	}
}
// The one place the bus is chosen.
const redisBus: RedisBus | null = config.REDIS_CLUSTER_NODES
	? createRedisBus({
			redis: { kind: 'cluster', nodes: config.REDIS_CLUSTER_NODES },
			logger: log,
			metrics
		})
	: config.REDIS_URL
		? createRedisBus({ redis: { kind: 'single', url: config.REDIS_URL }, logger: log, metrics })
		: null;
const bus: Bus = redisBus ?? new InProcessBus();
const sync = createSyncService({
	config,
	storage: services.storage,
	events: services.events,
	bus,
	log,
	metrics,
	// Without Redis no other instance listens: a commit nobody here follows costs nothing.
	summariesAcrossInstances: redisBus !== null
});
const stopFileGc = scheduleFileGc({
	files: services.storage.files,
	blobs: services.blobs,
	filesDir: join(config.DATA_DIR, 'files'),
	graceMs: config.FILE_GC_GRACE_MS,
	intervalMs: config.FILE_GC_INTERVAL_MS,
	onResult: (result) => {
		if (result.uploads + result.blobs + result.partials > 0) log.info(result, 'files collected');
	},
	onError: (error) => log.error({ err: error }, 'file garbage collection failed')
});
let draining = false;
// Ready once Redis (every listed cluster node) was reached at start-up (at once without Redis). A later outage does not
// flip it: this instance keeps serving its own clients, and taking every instance out of the
// balancer would turn a bus outage into a full one.
let busReady = redisBus === null;
void redisBus?.ready.then(() => (busReady = true));
const ops = {
	// The database is probed (PostgreSQL): while it does not answer, commits wait and retry
	// (commit-log.ts) and the balancer should send new clients elsewhere.
	isReady: () => busReady && services.isStorageReady(),
	isDraining: () => draining
};

// Metrics are for the operator's scraper: their own listener, never the app port.
const metricsServer =
	config.METRICS_PORT === undefined ? null : await listenForMetrics(config.METRICS_PORT);

async function listenForMetrics(port: number): Promise<Server> {
	const listener = createMetricsServer(metrics.registry);
	await new Promise<void>((ready) => listener.listen(port, config.METRICS_HOST, ready));
	log.info({ port: listeningPort(listener, port), host: config.METRICS_HOST }, 'metrics listening');
	return listener;
}

const server = createServer((req, res) => {
	lingerAfterAnswer(req, res);
	if (handleOpsRequest(req, res, ops)) return;
	attachServices(req, services);
	handler(req, res);
});
/**
 * An idle keep-alive connection stays open this long (Node's default: 5 s). A client that sends a
 * request on a pooled connection just as the server closes it gets a reset for a request that
 * never arrived: browsers retry it, Node's agent (scripts, Playwright's API requests) does not
 * (a test's POST once failed so after 5 s idle). Above the 60 s idle timeout load balancers
 * usually have, so a proxy in front closes first. Idle connections are closed at shutdown.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.on('upgrade', (request, socket, head: Buffer) => {
	// Nothing else upgrades in production: a path that is not /sync/… gets no answer but a close.
	if (!sync.handleUpgrade(request, socket, head)) socket.destroy();
});

server.listen(config.PORT, config.HOST, () => {
	const port = listeningPort(server, config.PORT);
	log.info({ port, host: config.HOST, origin: config.ORIGIN }, 'listening');
});

function listeningPort(listener: Server, configured: number): number {
	const address = listener.address();
	return typeof address === 'object' && address ? address.port : configured;
}

async function shutdown(signal: string): Promise<void> {
	log.info({ signal }, 'shutting down');
	draining = true;
	stopFileGc();
	const closed = new Promise<void>((done) => server.close(() => done()));
	metricsServer?.close();
	server.closeIdleConnections();
	try {
		await sync.shutdown();
		await bus.close();
	} catch (error) {
		log.error({ err: error }, 'drain failed');
	}
	server.closeAllConnections();
	await closed;
	await services.close();
	log.info('stopped');
	process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
