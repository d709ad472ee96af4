/**
 * Operations endpoints, answered before the SvelteKit handler:
 * - GET /healthz: liveness. 200 while the process runs (a load balancer or Docker restarts it otherwise).
 * - GET /readyz: readiness. 200 when the instance can serve (database open, bus connected or
 *   in-process); 503 while starting or draining, so a load balancer sends new clients elsewhere.
 * - GET /metrics: Prometheus text format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsState {
	isReady(): boolean;
	isDraining(): boolean;
	readonly registry: Registry;
}

const PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json',
		'cache-control': 'no-store',
		'content-length': Buffer.byteLength(text)
	});
	res.end(text);
}

/** Answers the ops endpoints; returns false (and touches nothing) for any other request. */
export function handleOpsRequest(
	req: IncomingMessage,
	res: ServerResponse,
	state: OpsState
): boolean {
	const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
	if (!PATHS.has(path)) return false;
	if (req.method !== 'GET' && req.method !== 'HEAD') {
		res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
		res.end(JSON.stringify({ error: 'method not allowed' }));
		return true;
	}
	switch (path) {
		case '/healthz':
			sendJson(res, 200, { status: 'ok' });
			return true;
		case '/readyz': {
			if (state.isDraining()) sendJson(res, 503, { status: 'draining' });
			else if (!state.isReady()) sendJson(res, 503, { status: 'starting' });
			else sendJson(res, 200, { status: 'ready' });
			return true;
		}
		default:
			state.registry.metrics().then(
				(text) => {
					res.writeHead(200, {
						'content-type': state.registry.contentType,
						'cache-control': 'no-store'
					});
					res.end(text);
				},
				(error: unknown) => {
					sendJson(res, 500, { error: error instanceof Error ? error.message : 'metrics failed' });
				}
			);
			return true;
	}
}
