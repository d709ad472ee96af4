/**
 * Request bodies are cut at their route's limit while they stream in, never buffered whole:
 * the real program (startServer) after a build, driven by a raw `node:http` client that sends
 * `Transfer-Encoding: chunked` without Content-Length and keeps writing until it is answered.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredClient } from '../support/api';
import { startServer, type ServerHandle } from '../support/server';

/** What one streamed request produced. */
interface StreamOutcome {
	readonly status: number;
	readonly body: string;
	/** Body bytes the client had handed to its socket when the answer arrived. */
	readonly bytesWritten: number;
	/** True when the answer came while the client had not yet ended its body. */
	readonly answeredWhileOpen: boolean;
}

const CHUNK = Buffer.alloc(16 * 1024, 'a');
/** The body the client tries to send: the size of the attack. */
const ATTACK_BYTES = 24 * 1024 * 1024;

let server: ServerHandle;

beforeAll(async () => {
	server = await startServer();
});

afterAll(async () => {
	await server?.dispose();
});

/**
 * POSTs up to `totalBytes` in 16 KiB chunks and stops writing as soon as the answer arrives.
 * The body is ended only once every byte was written, so an answer that waited for the whole
 * body comes with `answeredWhileOpen` false. With `waitForClose`, the client then keeps the
 * connection open (its body unfinished) and resolves only once the server closes it.
 */
function streamUntilAnswered(
	path: string,
	headers: Record<string, string>,
	options: { waitForClose?: boolean } = {},
	totalBytes = ATTACK_BYTES
): Promise<StreamOutcome> {
	return new Promise((resolve, reject) => {
		const req = request({
			host: '127.0.0.1',
			port: server.port,
			path,
			method: 'POST',
			headers: {
				host: `localhost:${server.port}`,
				origin: server.url,
				// Chunked unless the test declares a length.
				...('content-length' in headers ? {} : { 'transfer-encoding': 'chunked' }),
				...headers
			}
		});
		let written = 0;
		let ended = false;
		let answered = false;
		req.on('response', (res) => {
			answered = true;
			const bytesWritten = written;
			const answeredWhileOpen = !ended;
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (text: string) => (body += text));
			res.on('end', () => {
				const finish = (): void =>
					resolve({ status: res.statusCode ?? 0, body, bytesWritten, answeredWhileOpen });
				if (!options.waitForClose) {
					req.destroy();
					finish();
				} else if (res.socket.destroyed) finish();
				else res.socket.once('close', finish);
			});
		});
		// Once answered, the server may close while we still write: that is the point.
		req.on('error', (error) => {
			if (!answered) reject(error);
		});
		// One chunk per turn of the event loop, so an answer that arrived is read first.
		const pump = (): void => {
			if (answered || ended) return;
			if (written >= totalBytes) {
				ended = true;
				req.end();
				return;
			}
			written += CHUNK.byteLength;
			if (req.write(CHUNK)) setImmediate(pump);
			else req.once('drain', pump);
		};
		pump();
	});
}

function expectCutWhileStreaming(outcome: StreamOutcome): void {
	expect(outcome.status).toBe(413);
	expect(JSON.parse(outcome.body)).toEqual({ error: expect.any(String) });
	expect(outcome.answeredWhileOpen).toBe(true);
	expect(outcome.bytesWritten).toBeLessThan(ATTACK_BYTES);
}

describe('request body limits', () => {
	it('answers a chunked JSON body past 16 KiB with 413 while the client is still sending', async () => {
		const outcome = await streamUntilAnswered('/api/auth/login', {
			'content-type': 'application/json'
		});
		expectCutWhileStreaming(outcome);
	});

	it('answers a chunked form post past 16 KiB with 413 while the client is still sending', async () => {
		const outcome = await streamUntilAnswered('/login', {
			'content-type': 'application/x-www-form-urlencoded',
			accept: 'text/html'
		});
		expectCutWhileStreaming(outcome);
	});

	it('answers a declared Content-Length past the limit with 413 before reading the body', async () => {
		const outcome = await streamUntilAnswered('/api/rooms', {
			'content-type': 'application/json',
			'content-length': String(ATTACK_BYTES)
		});
		expectCutWhileStreaming(outcome);
	});

	it('still takes small bodies, JSON and forms alike', async () => {
		const json = await fetch(new URL('/api/auth/login', server.url), {
			method: 'POST',
			headers: { origin: server.url, 'content-type': 'application/json' },
			// Just under the limit: unknown fields are ignored, the login itself fails.
			body: JSON.stringify({ username: 'nobody-here', password: 'wrong', pad: 'x'.repeat(16_000) })
		});
		expect(json.status).toBe(401);
		const form = await fetch(new URL('/login', server.url), {
			method: 'POST',
			headers: {
				origin: server.url,
				'content-type': 'application/x-www-form-urlencoded',
				accept: 'text/html'
			},
			body: new URLSearchParams({
				username: 'nobody-here',
				password: 'wrong',
				pad: 'x'.repeat(16_000)
			}).toString(),
			redirect: 'manual'
		});
		expect(form.status).toBe(401);
	});

	it('refuses an upload from a stranger or a non-member before reading its body', async () => {
		const owner = await registeredClient(server.url);
		const outsider = await registeredClient(server.url);
		const room = await owner.post<{ id: string }>('/api/rooms', {
			name: 'Uploads',
			visibility: 'private'
		});
		const uploadHeaders = {
			'content-type': 'application/octet-stream',
			'x-file-name': 'big.bin'
		};
		const path = `/api/files?roomId=${room.body.id}`;
		const anonymous = await streamUntilAnswered(path, uploadHeaders);
		const stranger = await streamUntilAnswered(path, {
			...uploadHeaders,
			cookie: outsider.cookie ?? ''
		});
		for (const [outcome, status] of [
			[anonymous, 401],
			[stranger, 403]
		] as const) {
			expect(outcome.status).toBe(status);
			expect(JSON.parse(outcome.body)).toEqual({ error: expect.any(String) });
			expect(outcome.answeredWhileOpen).toBe(true);
			expect(outcome.bytesWritten).toBeLessThan(ATTACK_BYTES);
		}
	});

	it('closes the connection after an early answer rather than waiting for the rest of the body', async () => {
		// The client stops sending but never finishes its body: only the server can close.
		const outcome = await streamUntilAnswered(
			'/api/auth/login',
			{ 'content-type': 'application/json' },
			{ waitForClose: true }
		);
		expectCutWhileStreaming(outcome);
	});

	it('keeps the connection usable after a 413 to a body the client finishes sending', async () => {
		// Two pipelined requests on one socket: the rest of the first body is read past (not
		// buffered), so the second is answered too.
		const host = `localhost:${server.port}`;
		const body = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
		const socket = connect(server.port, '127.0.0.1');
		socket.write(
			`POST /api/auth/login HTTP/1.1\r\nhost: ${host}\r\norigin: ${server.url}\r\n` +
				`content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}` +
				`GET /api/me HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`
		);
		const answers = await new Promise<string>((resolve, reject) => {
			let text = '';
			socket.setEncoding('utf8');
			socket.on('data', (chunk: string) => (text += chunk));
			socket.on('close', () => resolve(text));
			socket.on('error', reject);
		});
		const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);
		expect(statuses).toEqual(['413', '401']);
	});
});
