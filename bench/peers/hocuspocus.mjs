/**
 * The Hocuspocus reference peer for the bench: `@hocuspocus/server` with its database
 * extension storing each document's state in SQLite (better-sqlite3, what
 * `@hocuspocus/extension-sqlite` does; its 3.x needs the `sqlite3` addon), on its default
 * debounce (2 s: it can lose the last seconds on a crash, which Parley does not). No auth.
 * Usage: node bench/peers/hocuspocus.mjs <port> <sqlite file>
 * Plain JavaScript, as Parley (build/sync-server.js) and the y-websocket reference run: no
 * loader of ours in the way (tsx's keepNames wraps every function a process creates).
 */
import { Database as DatabaseExtension } from '@hocuspocus/extension-database';
import { Server } from '@hocuspocus/server';
import Sqlite from 'better-sqlite3';

const port = Number(process.argv[2]);
const db = new Sqlite(process.argv[3] ?? ':memory:');
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, data BLOB)');
const select = db.prepare('SELECT data FROM documents WHERE name = ?');
const upsert = db.prepare(
	'INSERT INTO documents (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data'
);

const server = new Server({
	port,
	address: '127.0.0.1',
	quiet: true,
	extensions: [
		new DatabaseExtension({
			fetch: async ({ documentName }) =>
				/** @type {{ data: Buffer } | undefined} */ (select.get(documentName))?.data ?? null,
			store: async ({ documentName, state }) => void upsert.run(documentName, state)
		})
	]
});
await server.listen();
console.log('listening');
process.on('SIGTERM', () => void server.destroy().then(() => process.exit(0)));
