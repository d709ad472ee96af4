/**
 * JavaScript and CSS are served compressed (adapter-node's `precompress`, design.md "Browser
 * client"): the real program (startServer) after a build, over raw HTTP so the test sees the
 * bytes on the wire and the Content-Encoding as sent.
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../support/server';

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

interface RawResponse {
	readonly status: number;
	readonly headers: Record<string, string | string[] | undefined>;
	readonly body: Buffer;
}

/** GET `path` with exactly these headers; the body is not decoded. */
function getRaw(path: string, headers: Record<string, string>): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const req = request(new URL(path, server.url), { headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () =>
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
			);
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end();
	});
}

/** The page's scripts and stylesheets as the login page links them. */
async function linkedAssets(): Promise<{ js: string; css: string | null }> {
	const page = await getRaw('/login', { 'accept-encoding': 'identity' });
	expect(page.status).toBe(200);
	const html = page.body.toString('utf8');
	const js = /\/_app\/immutable\/[^"'\s]+\.js/.exec(html)?.[0];
	const css = /\/_app\/immutable\/[^"'\s]+\.css/.exec(html)?.[0] ?? null;
	if (!js) throw new Error('the login page links no JavaScript');
	return { js, css };
}

describe('compressed assets', () => {
	it('serves a JavaScript asset brotli- or gzip-encoded to whoever accepts it, the same bytes decoded', async () => {
		const { js } = await linkedAssets();
		const plain = await getRaw(js, { 'accept-encoding': 'identity' });
		expect(plain.status).toBe(200);
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(plain.headers['content-type']).toMatch(/javascript/);

		const brotli = await getRaw(js, { 'accept-encoding': 'gzip, deflate, br' });
		expect(brotli.status).toBe(200);
		expect(brotli.headers['content-encoding']).toBe('br');
		expect(brotli.headers['vary']).toMatch(/accept-encoding/i);
		expect(brotliDecompressSync(brotli.body).equals(plain.body)).toBe(true);

		const gzip = await getRaw(js, { 'accept-encoding': 'gzip' });
		expect(gzip.status).toBe(200);
		expect(gzip.headers['content-encoding']).toBe('gzip');
		expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
		if (plain.body.length > 2048) expect(gzip.body.length).toBeLessThan(plain.body.length);
	});

	it('serves stylesheets compressed too', async () => {
		const { css } = await linkedAssets();
		if (css === null) throw new Error('the login page links no stylesheet');
		const gzip = await getRaw(css, { 'accept-encoding': 'gzip' });
		expect(gzip.status).toBe(200);
		expect(gzip.headers['content-encoding']).toBe('gzip');
		expect(gzip.headers['content-type']).toMatch(/css/);
	});
});
