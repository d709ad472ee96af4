/**
 * The PostgreSQL implementation of `Storage` (`postgres`, one pool per process): selected by
 * DATABASE_URL=postgres://… (src/lib/server/services.ts). Each method is one transaction.
 */
import type { BlobStore } from '../blobs';
import type { Storage } from '../types';
import { createPostgresBlobStore } from './blobs';
import { postgresAccounts } from './accounts';
import { connect, migrate, type Sql } from './db';
import { postgresDevices } from './devices';
import { postgresFiles } from './files';
import { postgresHistory } from './history';
import { postgresRoomLog } from './room-log';
import { postgresRooms } from './rooms';
import { postgresSearch } from './search';
import { postgresSummaries } from './summaries';

/** Storage on PostgreSQL, and a probe of the connection (readiness). */
export interface PostgresStorage extends Storage {
	/** Resolves when the database answers a trivial query; rejects otherwise. */
	ping(): Promise<void>;
	/** Files' bytes in the same database (./blobs.ts), for BLOB_STORE=postgres. */
	readonly blobs: BlobStore;
}

/** Storage on an open, migrated pool (closing the storage ends the pool). */
export function createPostgresStorage(sql: Sql): PostgresStorage {
	return {
		async ping() {
			await sql`SELECT 1`;
		},
		blobs: createPostgresBlobStore(sql),
		accounts: postgresAccounts(sql),
		rooms: postgresRooms(sql),
		files: postgresFiles(sql),
		search: postgresSearch(sql),
		history: postgresHistory(sql),
		roomLog: postgresRoomLog(sql),
		summaries: postgresSummaries(sql),
		devices: postgresDevices(sql),
		async close() {
			await sql.end({ timeout: 5 });
		}
	};
}

/** Connects to the database, applies pending migrations and returns storage on it. */
export async function openPostgresStorage(url: string): Promise<PostgresStorage> {
	const sql = connect(url);
	try {
		await migrate(sql);
	} catch (error) {
		await sql.end({ timeout: 1 });
		throw error;
	}
	return createPostgresStorage(sql);
}
