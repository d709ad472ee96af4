/**
 * PostgreSQL commit latency (docs/design.md "Storage"), on a durable throw-away cluster
 * (tests/support/postgres.ts, fsync on, synchronous_commit on):
 * - client: the two Node clients, `postgres` (porsager) and `pg`, committing the same small
 *   group-commit transaction as the room log (lock the room row, append, move last_seq), with
 *   the two writes sent together (pipelined by `postgres`; `pg` queues them), from WRITERS
 *   concurrent writers, each with its own room.
 * - lock: the cost of keeping order with the room row's lock: the real storage
 *   (`storage.roomLog.commit`), WRITERS instances (pools) committing into ONE room versus each
 *   into its own.
 * Reports commits/s, p50/p99 commit latency, and CPU per commit of the client process and of
 * PostgreSQL's processes (from /proc).
 */
import pg from 'pg';
import postgres from 'postgres';
import { openPostgresStorage } from '../../src/lib/server/storage/postgres';
import type { Storage } from '../../src/lib/server/storage/types';
import { startPostgres, type PostgresHandle } from '../../tests/support/postgres';
import { row, type Row } from '../lib/harness';
import { cpuMicros, round, summarize } from '../lib/stats';

const WRITERS = 8;
const DATA = new Uint8Array(120).fill(7);

interface Measured {
	readonly latencies: number[];
	readonly elapsedS: number;
	readonly clientCpu: number;
	readonly pgCpu: number;
}

/** Runs `commit(writer)` in a loop on every writer for `durationMs`; latency of each. */
async function measure(
	server: PostgresHandle,
	durationMs: number,
	commit: (writer: number) => Promise<void>
): Promise<Measured> {
	const pids = server.pids();
	const cpuOf = (): number =>
		pids.reduce((sum, pid) => {
			try {
				return sum + cpuMicros(pid);
			} catch {
				return sum;
			}
		}, 0);
	const latencies: number[] = [];
	const pgBefore = cpuOf();
	const clientBefore = process.cpuUsage();
	const started = performance.now();
	const until = started + durationMs;
	await Promise.all(
		Array.from({ length: WRITERS }, async (_, writer) => {
			while (performance.now() < until) {
				const t0 = performance.now();
				await commit(writer);
				latencies.push(performance.now() - t0);
			}
		})
	);
	const elapsedS = (performance.now() - started) / 1000;
	const client = process.cpuUsage(clientBefore);
	return {
		latencies,
		elapsedS,
		clientCpu: client.user + client.system,
		pgCpu: cpuOf() - pgBefore
	};
}

function toRow(scenario: string, server: string, config: string, m: Measured): Row {
	const latency = summarize(m.latencies);
	return row({
		scenario,
		server,
		config,
		deliveries: latency.count,
		deliveriesPerSecond: Math.round(latency.count / m.elapsedS),
		p50Ms: round(latency.p50),
		p99Ms: round(latency.p99),
		maxMs: round(latency.max),
		lost: 0,
		cpuMicrosPerDelivery: round(m.clientCpu / Math.max(1, latency.count)),
		rssMb: round(process.memoryUsage().rss / (1024 * 1024), 1),
		extra: { pgCpuMicrosPerCommit: round(m.pgCpu / Math.max(1, latency.count)) }
	});
}

const SCHEMA = `
	CREATE TABLE rooms (id TEXT PRIMARY KEY, last_seq BIGINT NOT NULL DEFAULT 0);
	CREATE TABLE room_updates (room_id TEXT NOT NULL REFERENCES rooms (id), seq BIGINT NOT NULL,
		data BYTEA NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (room_id, seq));
	INSERT INTO rooms (id) SELECT 'r' || i FROM generate_series(0, ${WRITERS - 1}) AS i;
`;

async function clients(server: PostgresHandle, durationMs: number): Promise<Row[]> {
	const rows: Row[] = [];
	const config = `${WRITERS} writers, one room each, lock + append + last_seq per commit, ${durationMs / 1000} s`;

	const porsagerUrl = await server.createDatabase();
	const sql = postgres(porsagerUrl, { max: WRITERS, onnotice: () => {} });
	await sql.unsafe(SCHEMA);
	const seqs = new Array<number>(WRITERS).fill(0);
	rows.push(
		toRow(
			'pg-client',
			'postgres 3.4',
			config,
			await measure(server, durationMs, async (w) => {
				await sql.begin(async (tx) => {
					const [head] =
						await tx`SELECT last_seq FROM rooms WHERE id = ${'r' + w} FOR NO KEY UPDATE`;
					const seq = Number(head?.last_seq) + 1;
					seqs[w] = seq;
					// Both sent at once: pipelined on the transaction's connection.
					await Promise.all([
						tx`INSERT INTO room_updates VALUES (${'r' + w}, ${seq}, ${DATA}, ${Date.now()})`,
						tx`UPDATE rooms SET last_seq = ${seq} WHERE id = ${'r' + w}`
					]);
				});
			})
		)
	);
	await sql.end();

	const pgUrl = await server.createDatabase();
	const pool = new pg.Pool({ connectionString: pgUrl, max: WRITERS });
	await pool.query(SCHEMA);
	rows.push(
		toRow(
			'pg-client',
			'pg 8.23',
			config,
			await measure(server, durationMs, async (w) => {
				const client = await pool.connect();
				try {
					await client.query('BEGIN');
					const head = await client.query<{ last_seq: string }>(
						'SELECT last_seq FROM rooms WHERE id = $1 FOR NO KEY UPDATE',
						['r' + w]
					);
					const seq = Number(head.rows[0]?.last_seq) + 1;
					// pg has no pipelining: the client queues the second until the first answers.
					await Promise.all([
						client.query('INSERT INTO room_updates VALUES ($1, $2, $3, $4)', [
							'r' + w,
							seq,
							Buffer.from(DATA),
							Date.now()
						]),
						client.query('UPDATE rooms SET last_seq = $1 WHERE id = $2', [seq, 'r' + w])
					]);
					await client.query('COMMIT');
				} catch (error) {
					await client.query('ROLLBACK');
					throw error;
				} finally {
					client.release();
				}
			})
		)
	);
	await pool.end();
	return rows;
}

/** The real storage: WRITERS instances into one room, then each into its own room. */
async function lock(server: PostgresHandle, durationMs: number): Promise<Row[]> {
	const rows: Row[] = [];
	for (const shared of [true, false]) {
		const url = await server.createDatabase();
		const instances: Storage[] = [];
		for (let i = 0; i < WRITERS; i++) instances.push(await openPostgresStorage(url));
		const first = instances[0] as Storage;
		const created = await first.accounts.createUser({
			user: { id: 'bench', username: 'bench' },
			skeleton: 'bench',
			passwordHash: 'x',
			now: Date.now()
		});
		if (!created.ok) throw new Error('bench user');
		for (let i = 0; i < WRITERS; i++) {
			await first.rooms.create({
				id: `room${i}`,
				name: `room ${i}`,
				visibility: 'private',
				ownerId: 'bench',
				now: Date.now()
			});
		}
		const measured = await measure(server, durationMs, async (w) => {
			const roomId = shared ? 'room0' : `room${w}`;
			const instance = instances[w] as Storage;
			await instance.roomLog.commit([{ roomId, data: DATA }]);
		});
		// Order kept: the shared room's seqs are 1..n without a gap or a duplicate.
		if (shared) {
			const loaded = await first.roomLog.readSince('room0', 0);
			const gapless = loaded.updates.every((update, i) => update.seq === i + 1);
			if (!gapless || loaded.updates.length !== measured.latencies.length) {
				throw new Error('the shared room lost its order');
			}
		}
		rows.push(
			toRow(
				'pg-lock',
				'parley storage (postgres)',
				`${WRITERS} instances committing one update each time into ${shared ? 'ONE shared room' : 'a room each'}, ${durationMs / 1000} s`,
				measured
			)
		);
		await Promise.all(instances.map((instance) => instance.close()));
	}
	return rows;
}

export async function runPgClient(options: { durationMs: number }): Promise<Row[]> {
	const server = await startPostgres({ durable: true });
	try {
		return [
			...(await clients(server, options.durationMs)),
			...(await lock(server, options.durationMs))
		];
	} finally {
		await server.dispose();
	}
}
