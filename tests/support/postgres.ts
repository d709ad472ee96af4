/**
 * A throw-away PostgreSQL 15 cluster (Debian's `postgresql` package) for tests and benches:
 * `initdb` + `pg_ctl` in a fresh temp dir, listening on 127.0.0.1 on a FREE port (never 5432),
 * its unix socket in the temp dir. PostgreSQL refuses to run as root, so as root (CI) the dir is
 * chowned to `postgres` and every binary runs through `runuser -u postgres --`.
 *
 * One cluster per test file (start it in beforeAll); `createDatabase()` gives each test its own
 * fresh, empty database. Superuser `parley` with a password over TCP (scram), trust on the socket.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { freePort, makeTempDir } from './server';
import { waitFor } from './wait';

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const PG_USER = 'parley';
export const PG_PASSWORD = 'parley-test-password';

export interface PostgresHandle {
	readonly port: number;
	/** postgres://parley:…@127.0.0.1:PORT/postgres (the maintenance database). */
	readonly adminUrl: string;
	/**
	 * A new database, empty or a copy of `template` (the URL of one made here earlier, which
	 * nobody may be connected to: e.g. one migrated once per file); its URL.
	 */
	createDatabase(options?: { readonly template?: string }): Promise<string>;
	/** `pg_ctl stop -m fast`. */
	stop(): Promise<void>;
	/** SIGKILL of the postmaster (kill -9), then wait until it is gone. */
	kill(): Promise<void>;
	/** Starts the same cluster again on the same port (after stop or kill). */
	start(): Promise<void>;
	/** Stops (immediate) and removes the temp dir. */
	dispose(): Promise<void>;
	/** The server log, for failure messages. */
	log(): string;
	/** The postmaster and its children (backends, writers): for CPU readings from /proc. */
	pids(): number[];
}

const asRoot = process.getuid?.() === 0;

/** The binary and its arguments, through runuser when we are root. */
function command(bin: string, args: readonly string[]): [string, string[]] {
	const file = join(PG_BIN, bin);
	return asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, [...args]];
}

async function pg(bin: string, args: readonly string[]): Promise<string> {
	const [file, argv] = command(bin, args);
	const { stdout } = await run(file, argv, { maxBuffer: 16 * 1024 * 1024 });
	return stdout;
}

export function postgresInstalled(): boolean {
	return existsSync(join(PG_BIN, 'initdb'));
}

let databases = 0;

export interface PostgresOptions {
	/**
	 * fsync as in production (bench). Default false for tests: fsync=off keeps every commit
	 * through a kill -9 of any process (the OS page cache holds it), only not through a power
	 * loss, and makes the many CREATE DATABASE of a test file cheap.
	 */
	readonly durable?: boolean;
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresHandle> {
	if (!postgresInstalled()) {
		throw new Error(`PostgreSQL 15 not found in ${PG_BIN}: apt-get install -y postgresql`);
	}
	const dir = makeTempDir('parley-pg-');
	const data = join(dir, 'data');
	const logFile = join(dir, 'server.log');
	const pwFile = join(dir, 'pwfile');
	writeFileSync(pwFile, `${PG_PASSWORD}\n`);
	if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
	await pg('initdb', [
		'-D',
		data,
		'-U',
		PG_USER,
		`--pwfile=${pwFile}`,
		'--auth-local=trust',
		'--auth-host=scram-sha-256',
		'--encoding=UTF8',
		'--locale=C.UTF-8',
		'--no-sync'
	]);
	const port = await freePort();
	const options = [
		`-p ${port}`,
		`-k ${dir}`,
		"-c listen_addresses='127.0.0.1'",
		'-c max_connections=200',
		'-c shared_buffers=32MB',
		...(opts.durable ? [] : ['-c fsync=off', '-c full_page_writes=off'])
	].join(' ');
	const start = async (): Promise<void> => {
		await pg('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
	};
	await start();
	const adminUrl = `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/postgres`;

	const postmasterPid = (): number | null => {
		try {
			return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
		} catch {
			return null;
		}
	};
	const alive = (pid: number): boolean => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};
	const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
		const pid = postmasterPid();
		if (pid === null || !alive(pid)) return;
		await pg('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
	};

	return {
		port,
		adminUrl,
		async createDatabase(options = {}) {
			const name = `parley_test_${process.pid}_${++databases}`;
			const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
			try {
				const template = options.template
					? ` TEMPLATE ${new URL(options.template).pathname.slice(1)}`
					: '';
				await admin.unsafe(`CREATE DATABASE ${name}${template}`);
			} finally {
				await admin.end();
			}
			return `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${name}`;
		},
		stop: () => stop('fast'),
		async kill() {
			const pid = postmasterPid();
			if (pid === null || !alive(pid)) return;
			process.kill(pid, 'SIGKILL');
			await waitFor('the killed postmaster to exit', () => !alive(pid), 20_000);
		},
		start,
		async dispose() {
			try {
				// immediate: no shutdown checkpoint, the files are deleted right after.
				await stop('immediate');
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
		pids() {
			const root = postmasterPid();
			if (root === null) return [];
			const children = readdirSync('/proc')
				.filter((entry) => /^\d+$/.test(entry))
				.filter((entry) => {
					try {
						const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
						return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === root;
					} catch {
						return false;
					}
				})
				.map(Number);
			return [root, ...children];
		},
		log() {
			try {
				return readFileSync(logFile, 'utf8');
			} catch {
				return '';
			}
		}
	};
}
