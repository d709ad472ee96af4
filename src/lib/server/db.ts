/**
 * TEMPORARY, for sync-server/ only until it takes the `Storage` interface (issue 13): the raw
 * SQLite connection's type. The web app never imports this file; SQLite lives in
 * src/lib/server/storage/sqlite/.
 */
export type { Db } from './storage/sqlite/db';
