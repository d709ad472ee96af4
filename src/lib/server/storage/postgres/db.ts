/**
 * PostgreSQL: the connection pool (`postgres`, porsager's client: docs/design.md "Storage" says
 * why this one), the number parsing and the migrations.
 */
import postgres from 'postgres';
import type { Migration } from '../sqlite/migrations';
import { blobMigrations, postgresMigrations } from './migrations';

/** BIGINT columns (ms timestamps, seqs, clientIDs, clocks, counts) read back as JS numbers. */
const int8AsNumber = {
	to: 20,
	from: [20],
	serialize: (value: number) => String(value),
	parse: (value: string) => Number(value)
};

export type Sql = postgres.Sql<{ bigint: number }>;
export type Tx = postgres.TransactionSql<{ bigint: number }>;

/** Connections per instance: the sync core's group commits plus the web app's requests. */
const POOL_SIZE = 10;
/** A connection that cannot be made in this long fails (the caller retries or reports). */
const CONNECT_TIMEOUT_S = 10;
/** Any number held as the lock key of the migrations (pg_advisory_xact_lock). */
const MIGRATION_LOCK = 7_314_001;

export function connect(url: string, options: { readonly max?: number } = {}): Sql {
	return postgres(url, {
		max: options.max ?? POOL_SIZE,
		connect_timeout: CONNECT_TIMEOUT_S,
		onnotice: () => {},
		types: { bigint: int8AsNumber }
	}) as unknown as Sql;
}

/** Applies the migrations not applied yet, each in its own transaction; how many it applied. */
export async function migrate(
	sql: Sql,
	list: readonly Migration[] = [...postgresMigrations, ...blobMigrations]
): Promise<number> {
	await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL
	)`.catch(async (error: unknown) => {
		// Two instances creating it at once: one wins, the other finds it there.
		if (!isUniqueViolation(error)) throw error;
	});
	let applied = 0;
	for (const migration of [...list].sort((a, b) => a.version - b.version)) {
		const done = await sql.begin(async (tx) => {
			await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
			const [row] = await tx`SELECT 1 FROM schema_migrations WHERE version = ${migration.version}`;
			if (row) return false;
			await tx.unsafe(migration.sql);
			await tx`INSERT INTO schema_migrations (version, name, applied_at)
				VALUES (${migration.version}, ${migration.name}, ${Date.now()})`;
			return true;
		});
		if (done) applied++;
	}
	return applied;
}

export function isUniqueViolation(error: unknown): boolean {
	return error instanceof postgres.PostgresError && error.code === '23505';
}

/** Bytes read back (Buffers) as plain Uint8Array views (what Yjs and the interface use). */
export function bytes(buffer: Uint8Array): Uint8Array {
	return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
