/**
 * Starts the real Parley program (build/sync-server.js, the bundle of sync-server/main.ts that
 * production runs: SvelteKit handler + sync server) as a child process on a free port with its
 * own DATA_DIR, so tests can stop, kill -9 and restart it. Needs `npm run build` first (npm test
 * does it); the test runners' global setup re-bundles the entry from the current source
 * (tests/support/global-setup.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVER_BUNDLE } from '../../scripts/build-server';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface ServerOptions {
	/** Reuse a data directory (e.g. after a restart). Default: a fresh temp dir. */
	readonly dataDir?: string;
	readonly port?: number;
	/**
	 * The database: unset, SQLite in the data dir; a postgres:// URL (e.g. from
	 * tests/support/postgres.ts `createDatabase()`), PostgreSQL. Sets DATABASE_URL.
	 */
	readonly databaseUrl?: string;
	/** Extra environment variables (e.g. REDIS_URL, limits). */
	readonly env?: Readonly<Record<string, string>>;
	/** How long to wait for the "listening" log line, in ms. */
	readonly startTimeoutMs?: number;
}

export interface ServerHandle {
	readonly port: number;
	/** http://localhost:PORT */
	readonly url: string;
	/** ws://localhost:PORT/sync (the WebsocketProvider's serverUrl) */
	readonly syncUrl: string;
	/** http://127.0.0.1:METRICS_PORT/metrics: the separate metrics listener (on a free port). */
	readonly metricsUrl: string;
	readonly dataDir: string;
	readonly process: ChildProcess;
	/** Everything the process printed (JSON log lines), for assertions and failure messages. */
	readonly output: string[];
	/** SIGTERM, then wait for exit. Resolves with the exit code. */
	stop(): Promise<number | null>;
	/** SIGKILL (kill -9), then wait for exit. */
	kill(): Promise<void>;
	/** Starts the same program again on the same port and data dir. */
	restart(extraEnv?: Readonly<Record<string, string>>): Promise<ServerHandle>;
	/** Stops the process if running and deletes a temp data dir this handle created. */
	dispose(): Promise<void>;
}

/** A counter or gauge without labels from the server's metrics listener (0 when absent). */
export async function readMetric(server: ServerHandle, name: string): Promise<number> {
	const text = await (await fetch(server.metricsUrl)).text();
	const line = text.split('\n').find((l) => l.startsWith(`${name} `));
	return line ? Number(line.split(' ')[1]) : 0;
}

export async function freePort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolvePort(port));
		});
	});
}

export function makeTempDir(prefix = 'parley-test-'): string {
	return mkdtempSync(join(tmpdir(), prefix));
}

function waitForExit(child: ChildProcess): Promise<number | null> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
	return new Promise((done) => child.once('exit', (code) => done(code)));
}

/**
 * Starts the program. A port `freePort` chose may be taken by another process before the server
 * binds it (the suite starts servers in parallel): when the server says EADDRINUSE for ports
 * this chose, it is started again on new ones (up to three times).
 */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
	const chosePorts = options.port === undefined || options.env?.METRICS_PORT === undefined;
	const dataDir = options.dataDir ?? makeTempDir();
	const withDir = { ...options, dataDir };
	for (let attempt = 1; ; attempt++) {
		try {
			const handle = await startServerOnce(withDir);
			if (options.dataDir === undefined) handle.ownsDataDir();
			return handle;
		} catch (error) {
			const taken = error instanceof Error && error.message.includes('EADDRINUSE');
			if (!taken || !chosePorts || attempt === 3) {
				if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
				throw error;
			}
		}
	}
}

async function startServerOnce(
	options: ServerOptions & { readonly dataDir: string }
): Promise<ServerHandle & { ownsDataDir(): void }> {
	let ownsDir = false;
	const { dataDir } = options;
	const port = options.port ?? (await freePort());
	const metricsPort = options.env?.METRICS_PORT ?? String(await freePort());
	const output: string[] = [];
	if (!existsSync(SERVER_BUNDLE)) {
		throw new Error(`${SERVER_BUNDLE} is missing: run \`npm run build\` first`);
	}
	const child = spawn(process.execPath, [SERVER_BUNDLE], {
		cwd: ROOT,
		env: {
			...process.env,
			NODE_ENV: 'production',
			HOST: '127.0.0.1',
			PORT: String(port),
			DATA_DIR: dataDir,
			ORIGIN: `http://localhost:${port}`,
			LOG_LEVEL: 'info',
			METRICS_PORT: metricsPort,
			...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
			...options.env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});

	await new Promise<void>((ready, fail) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			fail(new Error(`server did not start in time; output:\n${output.join('\n')}`));
		}, options.startTimeoutMs ?? 20_000);
		let buffered = '';
		const onData = (chunk: Buffer): void => {
			buffered += chunk.toString();
			let newline: number;
			while ((newline = buffered.indexOf('\n')) !== -1) {
				const line = buffered.slice(0, newline);
				buffered = buffered.slice(newline + 1);
				output.push(line);
				if (line.includes('"msg":"listening"')) {
					clearTimeout(timer);
					ready();
				}
			}
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			fail(new Error(`server exited (${code ?? signal}) before listening:\n${output.join('\n')}`));
		});
	});

	const handle: ServerHandle & { ownsDataDir(): void } = {
		ownsDataDir() {
			ownsDir = true;
		},
		port,
		url: `http://localhost:${port}`,
		syncUrl: `ws://localhost:${port}/sync`,
		metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
		dataDir,
		process: child,
		output,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
			return waitForExit(child);
		},
		async kill() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await waitForExit(child);
		},
		restart(extraEnv) {
			return startServer({
				...options,
				dataDir,
				port,
				env: { ...options.env, ...extraEnv }
			});
		},
		async dispose() {
			await handle.kill();
			if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
		}
	};
	return handle;
}
