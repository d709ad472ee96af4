/**
 * /metrics is served on its own listener (METRICS_PORT, loopback by default), never on the app
 * port that the public reaches. The real program (startServer) after a build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

describe('metrics', () => {
	it('answers 404 for /metrics on the app port, with or without a query', async () => {
		for (const path of ['/metrics', '/metrics?x=1']) {
			const response = await fetch(new URL(path, server.url));
			expect(response.status).toBe(404);
			expect(await response.text()).not.toContain('parley_');
		}
	});

	it('serves Prometheus text on the metrics port, bound to loopback by default', async () => {
		const response = await fetch(server.metricsUrl);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
		const text = await response.text();
		expect(text).toContain('# TYPE parley_connections gauge');
		expect(text).toContain('parley_upgrades_waiting 0');
		expect(text).toContain('process_cpu_user_seconds_total');
		const line = server.output.find((l) => l.includes('"msg":"metrics listening"'));
		expect(JSON.parse(line ?? '{}')).toMatchObject({ host: '127.0.0.1' });
	});

	it('serves nothing else on the metrics port', async () => {
		expect((await fetch(new URL('/healthz', server.metricsUrl))).status).toBe(404);
		expect((await fetch(new URL('/', server.metricsUrl))).status).toBe(404);
		expect((await fetch(server.metricsUrl, { method: 'POST' })).status).toBe(405);
	});

	it('serves no metrics at all when METRICS_PORT is unset', async () => {
		const bare = await startServer({ env: { METRICS_PORT: '' } });
		try {
			expect((await fetch(new URL('/metrics', bare.url))).status).toBe(404);
			expect(bare.output.some((l) => l.includes('metrics listening'))).toBe(false);
		} finally {
			await bare.dispose();
		}
	});
});
