/**
 * Operations endpoints. On the app port, answered before the SvelteKit handler:
 * - GET /healthz: liveness. 200 while the process runs (a load balancer or Docker restarts it otherwise).
 * - GET /readyz: readiness. 200 when the instance can serve (database open, bus connected or
 *   in-process); 503 while starting or draining, so a load balancer sends new clients elsewhere.
 * On its own listener (METRICS_PORT, loopback by default), never on the app port:
 * - GET /metrics: Prometheus text format. It tells anyone who reads it how busy each instance
 *   is and what it refuses, so it is for the operator's scraper only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsState {
	isReady(): boolean;
	isDraining(): boolean;
}

const PATHS = new Set(['/healthz', '/readyz']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json',
		'cache-control': 'no-store',
		'content-length': Buffer.byteLength(text)
	});
	res.end(text);
}

function pathOf(req: IncomingMessage): string {
	return (req.url ?? '/').split('?', 1)[0] ?? '/';
}

/** 405 unless GET or HEAD; true when it answered. */
function refuseMethod(req: IncomingMessage, res: ServerResponse): boolean {
	if (req.method === 'GET' || req.method === 'HEAD') return false;
	res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
	res.end(JSON.stringify({ error: 'method not allowed' }));
	return true;
}

/** Answers the ops endpoints; returns false (and touches nothing) for any other request. */
export function handleOpsRequest(
	req: IncomingMessage,
	res: ServerResponse,
	state: OpsState
): boolean {
	const path = pathOf(req);
	if (!PATHS.has(path)) return false;
	if (refuseMethod(req, res)) return true;
	if (path === '/healthz') sendJson(res, 200, { status: 'ok' });
	else if (state.isDraining()) sendJson(res, 503, { status: 'draining' });
	else if (!state.isReady()) sendJson(res, 503, { status: 'starting' });
	else sendJson(res, 200, { status: 'ready' });
	return true;
}

/** The metrics listener: GET /metrics from `registry`, 404 for anything else. */
export function createMetricsServer(registry: Registry): Server {
	return createServer((req, res) => {
		if (pathOf(req) !== '/metrics') return sendJson(res, 404, { error: 'not found' });
		if (refuseMethod(req, res)) return;
		registry.metrics().then(
			(text) => {
				res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
				res.end(text);
			},
			(error: unknown) => {
				sendJson(res, 500, { error: error instanceof Error ? error.message : 'metrics failed' });
			}
		);
	});
}
