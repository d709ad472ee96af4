/**
 * Starting what a scenario measures: the REAL Parley process (tests/support/server.ts) or the
 * bare relay, plus the result row every scenario reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../../scripts/build-server';
import { ROOT, freePort, startServer, type ServerHandle } from '../../tests/support/server';
import { cpuMicros, rssBytes, round, type Latency } from './stats';

export interface Row {
	readonly scenario: string;
	/** What ran: parley, relay, … */
	readonly server: string;
	readonly config: string;
	readonly deliveries: number;
	readonly deliveriesPerSecond: number;
	readonly p50Ms: number;
	readonly p99Ms: number;
	readonly maxMs: number;
	readonly lost: number;
	readonly cpuMicrosPerDelivery: number;
	readonly rssMb: number;
	/** Anything scenario-specific (load time, bytes, ratio to the relay, …). */
	readonly extra: Readonly<Record<string, number | string>>;
	/** os.loadavg() when the row was measured: noisy machines give noisy figures. */
	readonly loadavg: readonly number[];
}

export function row(values: Omit<Row, 'loadavg'>): Row {
	return { ...values, loadavg: loadavg().map((l) => round(l, 2)) };
}

/** The fields every delivery scenario computes the same way, from what it counted. */
export function deliveryRow(values: {
	readonly scenario: string;
	readonly server: string;
	readonly config: string;
	readonly delivered: number;
	readonly expected: number;
	readonly elapsedS: number;
	readonly latency: Latency;
	readonly usage: { readonly cpuMicros: number; readonly rssMb: number };
	readonly extra: Row['extra'];
}): Row {
	const { delivered, latency, usage } = values;
	return row({
		scenario: values.scenario,
		server: values.server,
		config: values.config,
		deliveries: delivered,
		deliveriesPerSecond: Math.round(delivered / values.elapsedS),
		p50Ms: round(latency.p50),
		p99Ms: round(latency.p99),
		maxMs: round(latency.max),
		lost: Math.max(0, values.expected - delivered),
		cpuMicrosPerDelivery: round(usage.cpuMicros / Math.max(1, delivered)),
		rssMb: usage.rssMb,
		extra: values.extra
	});
}

/** Limits raised for the bench: a sender sends far more than a person types. */
export const BENCH_ENV: Readonly<Record<string, string>> = {
	UPDATES_PER_SECOND: '2000',
	UPDATES_BURST: '4000',
	MAX_CONNECTIONS_PER_USER: '100000',
	// A bench sender writes hundreds of messages per second: far past one person's budget.
	USER_BUDGET_BYTES_PER_SECOND: '1000000000',
	USER_BUDGET_BURST_BYTES: '1000000000',
	// Bench senders sign only in the signed scenarios (`rooms-signed`, which sets 1, and the
	// gate scenario's second pass): the others measure the rest of the pipeline as before.
	REQUIRE_SIGNATURES: '0'
};

/**
 * The pages must be built (`npm run build`); the program's entry is bundled again from the
 * current source, so the bench measures the file production runs (build/sync-server.js).
 */
export async function assertBuilt(): Promise<void> {
	if (!existsSync(join(ROOT, 'build', 'handler.js'))) {
		throw new Error(
			'build/handler.js is missing: run `flock /tmp/parley-build.lock npm run build` first'
		);
	}
	await buildServer();
}

/** `--prof`: the server children write V8 CPU profiles here (open in Chrome DevTools). */
export const PROFILE_DIR = join(ROOT, 'bench', 'results', 'profiles');
let profiling = false;

export function enableProfiling(): void {
	profiling = true;
}

export async function startParley(
	dataDir: string,
	env: Readonly<Record<string, string>> = {}
): Promise<ServerHandle> {
	const prof: Record<string, string> = profiling
		? {
				NODE_OPTIONS: `--import=${join(ROOT, 'bench', 'lib', 'cpu-prof.mjs')}`,
				PARLEY_BENCH_PROFILE_DIR: PROFILE_DIR
			}
		: {};
	const server = await startServer({
		dataDir,
		env: { ...BENCH_ENV, ...prof, ...env },
		startTimeoutMs: 60_000
	});
	// A server that dies mid-scenario would leave the load generator waiting: say so at once.
	server.process.once('exit', (code, signal) => {
		if (code === 0 || signal === 'SIGTERM') return;
		console.error(`parley exited (${code ?? signal}):\n${server.output.slice(-20).join('\n')}`);
	});
	return server;
}

export interface RelayHandle {
	readonly port: number;
	readonly pid: number;
	stop(): Promise<void>;
}

export async function startRelay(): Promise<RelayHandle> {
	const port = await freePort();
	const child: ChildProcess = spawn(
		process.execPath,
		['--import', 'tsx', join(ROOT, 'bench', 'relay.ts'), String(port)],
		{ cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
	);
	await new Promise<void>((ready, fail) => {
		child.stdout?.on('data', (chunk: Buffer) => {
			if (chunk.toString().includes('listening')) ready();
		});
		child.once('exit', (code) => fail(new Error(`relay exited (${code})`)));
	});
	return {
		port,
		pid: child.pid ?? 0,
		async stop() {
			if (child.exitCode !== null) return;
			const exited = new Promise<void>((done) => child.once('exit', () => done()));
			child.kill('SIGTERM');
			await exited;
		}
	};
}

/** CPU and RSS of a process across a measured window. */
export function meter(pid: number): { stop(): { cpuMicros: number; rssMb: number } } {
	const before = cpuMicros(pid);
	return {
		stop() {
			return {
				cpuMicros: cpuMicros(pid) - before,
				rssMb: round(rssBytes(pid) / (1024 * 1024), 1)
			};
		}
	};
}
