/**
 * `node --import tsx bench/body-flood.ts`: the server's memory under the body flood of issue 12.
 * Eight concurrent anonymous POSTs to /api/auth/login, each a 24 MB chunked body without
 * Content-Length, against the real server process (needs a build). Each client stops writing
 * once it is answered. Prints the server's resident memory before, its peak (VmHWM) and after,
 * and what the clients managed to send. A script, not a `npm run bench` scenario: it measures
 * one attack, not a steady load.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { startServer } from '../tests/support/server';

const CLIENTS = 8;
const BODY_BYTES = 24 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** VmRSS and VmHWM of a process, in MB. */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
	return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

interface Outcome {
	readonly status: number;
	readonly sentBytes: number;
}

function flood(port: number): Promise<Outcome> {
	return new Promise((resolve, reject) => {
		let sent = 0;
		let answered = false;
		const req = request({
			host: '127.0.0.1',
			port,
			path: '/api/auth/login',
			method: 'POST',
			headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }
		});
		req.on('response', (res) => {
			answered = true;
			res.resume();
			res.on('end', () => {
				req.destroy();
				resolve({ status: res.statusCode ?? 0, sentBytes: sent });
			});
		});
		req.on('error', (error) => {
			if (!answered) reject(error);
		});
		const pump = (): void => {
			if (answered) return;
			if (sent >= BODY_BYTES) {
				req.end();
				return;
			}
			sent += CHUNK.byteLength;
			if (req.write(CHUNK)) setImmediate(pump);
			else req.once('drain', pump);
		};
		pump();
	});
}

const server = await startServer();
try {
	const pid = server.process.pid;
	if (pid === undefined) throw new Error('no server pid');
	// Warm up the login route so its code is loaded before the baseline.
	await fetch(new URL('/api/auth/login', server.url), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: '{}'
	});
	const before = memoryOf(pid);
	const started = performance.now();
	const outcomes = await Promise.all(Array.from({ length: CLIENTS }, () => flood(server.port)));
	const elapsedMs = Math.round(performance.now() - started);
	const after = memoryOf(pid);
	const statuses = [...new Set(outcomes.map((o) => o.status))].join(',');
	const sentMb = outcomes.reduce((sum, o) => sum + o.sentBytes, 0) / (1024 * 1024);
	console.log(
		JSON.stringify({
			clients: CLIENTS,
			bodyMb: BODY_BYTES / (1024 * 1024),
			statuses,
			clientsSentMb: Math.round(sentMb),
			elapsedMs,
			rssBeforeMb: before.rssMb,
			rssPeakMb: after.peakMb,
			rssAfterMb: after.rssMb,
			peakGrowthMb: after.peakMb - before.rssMb
		})
	);
} finally {
	await server.dispose();
}
