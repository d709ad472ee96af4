/**
 * Spawns a throw-away redis-server on a free port (never the shared one on 6379), without
 * persistence, so tests can kill it (SIGKILL) and restart it on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './server';

export interface RedisHandle {
	readonly port: number;
	/** redis://127.0.0.1:PORT */
	readonly url: string;
	/** SIGTERM, then wait for exit. */
	stop(): Promise<void>;
	/** SIGKILL (kill -9), then wait for exit. */
	kill(): Promise<void>;
	/** Starts redis-server again on the same port (after stop or kill). */
	restart(): Promise<void>;
	/** Everything the server printed, for failure messages. */
	readonly output: string[];
}

const START_TIMEOUT_MS = 10_000;

function waitForExit(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((done) => child.once('exit', () => done()));
}

function spawnRedis(port: number, output: string[]): Promise<ChildProcess> {
	return spawnRedisServer(
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
		output
	);
}

/** Starts `redis-server args…` and resolves once it accepts connections (its output kept). */
export function spawnRedisServer(args: readonly string[], output: string[]): Promise<ChildProcess> {
	const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	return new Promise((ready, fail) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			fail(new Error(`redis-server did not start in time:\n${output.join('')}`));
		}, START_TIMEOUT_MS);
		let seen = '';
		const onData = (chunk: Buffer): void => {
			const text = chunk.toString();
			output.push(text);
			seen += text;
			if (seen.includes('Ready to accept connections')) {
				clearTimeout(timer);
				child.stdout?.off('data', onData);
				// Keep draining the pipe so redis-server never blocks on a full stdout.
				child.stdout?.on('data', (more: Buffer) => output.push(more.toString()));
				ready(child);
			}
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
		child.once('error', (error) => {
			clearTimeout(timer);
			fail(error);
		});
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			fail(new Error(`redis-server exited (${code ?? signal}):\n${output.join('')}`));
		});
	});
}

export async function startRedis(options: { port?: number } = {}): Promise<RedisHandle> {
	const port = options.port ?? (await freePort());
	const output: string[] = [];
	let child = await spawnRedis(port, output);
	return {
		port,
		url: `redis://127.0.0.1:${port}`,
		output,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
			await waitForExit(child);
		},
		async kill() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await waitForExit(child);
		},
		async restart() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
				await waitForExit(child);
			}
			child = await spawnRedis(port, output);
		}
	};
}
