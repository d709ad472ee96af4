/**
 * `npm run migrate -- --to postgres`: copies a SQLite deployment (DATA_DIR/parley.db) into the
 * PostgreSQL database of DATABASE_URL, then verifies the copy: row counts per table and, per
 * room, a SHA-256 over its log (seq and bytes of every update) and snapshot, read back from both
 * sides. Exit 0 only when everything matches. The target must be migrated-empty (no users):
 * it is created and migrated here. One PostgreSQL transaction: a failed copy leaves nothing.
 * Stop every instance first (the SQLite file must not change during the copy).
 *
 * Files' bytes: before the tables, every blob a `files` row names is streamed from the local
 * blob store (DATA_DIR/files) into the PostgreSQL one (never whole in memory), then read back
 * and hashed: each must hash to its name. A blob missing from DATA_DIR is a difference.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getConfig } from '../src/lib/server/config';
import type { BlobStore } from '../src/lib/server/storage/blobs';
import { createLocalBlobStore } from '../src/lib/server/storage/local/blobs';
import { createPostgresBlobStore } from '../src/lib/server/storage/postgres/blobs';
import { connect, migrate as migratePostgres } from '../src/lib/server/storage/postgres/db';
import { databaseFile, openDatabase } from '../src/lib/server/storage/sqlite/db';

/** Tables in an order that satisfies every foreign key; each with its columns to copy. */
const TABLES: readonly { readonly name: string; readonly order: string }[] = [
	{ name: 'users', order: 'created_at, id' },
	{ name: 'sessions', order: 'id' },
	{ name: 'rooms', order: 'created_at, id' },
	{ name: 'memberships', order: 'room_id, user_id' },
	{ name: 'room_updates', order: 'room_id, seq' },
	{ name: 'room_snapshots', order: 'room_id' },
	{ name: 'client_ids', order: 'room_id, client_id' },
	{ name: 'invites', order: 'id' },
	{ name: 'files', order: 'id' },
	{ name: 'message_index', order: 'rowid' },
	{ name: 'message_change_items', order: 'room_id, client, clock' },
	{ name: 'room_segments', order: 'room_id, n' },
	{ name: 'room_message_ids', order: 'room_id, id' },
	{ name: 'room_epochs', order: 'room_id, epoch' },
	{ name: 'known_logins', order: 'user_id, key_hash' },
	{ name: 'room_bans', order: 'room_id, user_id' },
	{ name: 'dm_requests', order: 'room_id' },
	{ name: 'dm_declines', order: 'recipient_id, sender_id' },
	{ name: 'read_marks', order: 'room_id, user_id' },
	{ name: 'file_refs', order: 'file_id' },
	{ name: 'devices', order: 'created_at, id' }
];
/** Columns PostgreSQL computes itself, or SQLite-only. */
const SKIP = new Set(['message_index.rowid']);
/** SQLite 0/1 columns that are BOOLEAN in PostgreSQL. */
const BOOLEAN = new Set(['message_index.deleted']);
const CHUNK = 500;

type Row = Record<string, unknown>;

function fail(message: string): never {
	console.error(`migrate: ${message}`);
	process.exit(1);
}

/** SHA-256 of a room's log and snapshot: seq and bytes of each, in order. */
function roomChecksum(
	updates: readonly { seq: number; data: Uint8Array }[],
	snapshot: { upto_seq: number; data: Uint8Array } | undefined
): string {
	const hash = createHash('sha256');
	if (snapshot) hash.update(`snapshot ${snapshot.upto_seq} `).update(snapshot.data);
	for (const { seq, data } of updates) hash.update(`update ${seq} `).update(data);
	return hash.digest('hex');
}

/** SHA-256 of a stream's bytes, read a chunk at a time. */
async function hashOf(stream: ReadableStream<Uint8Array>): Promise<string> {
	const hash = createHash('sha256');
	const reader = stream.getReader();
	for (let next = await reader.read(); !next.done; next = await reader.read())
		hash.update(next.value);
	return hash.digest('hex');
}

/**
 * Streams the blob named `sha256` from `from` into `to` and hashes what `to` gives back; the
 * line to print, and whether it is a difference.
 */
async function copyBlob(
	from: BlobStore,
	to: BlobStore,
	sha256: string
): Promise<[string, boolean]> {
	const source = await from.get(sha256);
	if (!source) return [`DIFF file ${sha256}: missing from DATA_DIR/files`, true];
	const put = await to.put(source, Number.MAX_SAFE_INTEGER);
	if (!put.ok || put.blob.sha256 !== sha256) {
		if (put.ok) await put.blob.discard();
		return [`DIFF file ${sha256}: the bytes in DATA_DIR/files hash to something else`, true];
	}
	await put.blob.commit();
	const copy = await to.get(sha256);
	const ok = copy !== null && (await hashOf(copy)) === sha256;
	return [`${ok ? 'ok  ' : 'DIFF'} file ${sha256}: ${put.blob.size} bytes`, !ok];
}

const args = process.argv.slice(2);
const to = args[args.indexOf('--to') + 1];
if (!args.includes('--to') || to !== 'postgres') fail('usage: npm run migrate -- --to postgres');
const config = getConfig();
if (!config.DATABASE_URL) fail('DATABASE_URL must name the target PostgreSQL database');
const file = databaseFile(config.DATA_DIR);
if (!existsSync(file)) fail(`no SQLite database at ${file} (DATA_DIR)`);

const lite = openDatabase(file);
const sql = connect(config.DATABASE_URL, { max: 2 });
try {
	await migratePostgres(sql);
	const [taken] = await sql`SELECT 1 FROM users LIMIT 1`;
	if (taken) fail('the PostgreSQL database already holds users: migrate into an empty one');

	// Bytes first: should the tables' copy fail, the copied blobs are only unreferenced copies.
	let bad = 0;
	const localBlobs = createLocalBlobStore(join(config.DATA_DIR, 'files'));
	const postgresBlobs = createPostgresBlobStore(sql);
	const blobs = lite.prepare('SELECT DISTINCT sha256 FROM files ORDER BY sha256').all() as {
		sha256: string;
	}[];
	for (const { sha256 } of blobs) {
		const [line, differs] = await copyBlob(localBlobs, postgresBlobs, sha256);
		if (differs) bad++;
		console.log(line);
	}

	const counts = new Map<string, number>();
	await sql.begin(async (tx) => {
		for (const { name, order } of TABLES) {
			const columns = (lite.pragma(`table_info(${name})`) as { name: string }[])
				.map((column) => column.name)
				.filter((column) => !SKIP.has(`${name}.${column}`));
			const rows = lite
				.prepare(`SELECT ${columns.join(', ')} FROM ${name} ORDER BY ${order}`)
				.all() as Row[];
			for (const row of rows) {
				for (const column of columns) {
					if (BOOLEAN.has(`${name}.${column}`)) row[column] = row[column] === 1;
				}
			}
			for (let i = 0; i < rows.length; i += CHUNK) {
				const chunk = rows.slice(i, i + CHUNK);
				await tx`INSERT INTO ${tx(name)} ${tx(chunk as Record<string, never>[], columns)}`;
			}
			counts.set(name, rows.length);
		}
	});

	// Verify: counts per table, then a checksum per room, read back from both sides.
	for (const { name } of TABLES) {
		const [row] = await sql<{ n: number }[]>`SELECT count(*) AS n FROM ${sql(name)}`;
		const expected = counts.get(name) ?? 0;
		const ok = row?.n === expected;
		if (!ok) bad++;
		console.log(`${ok ? 'ok  ' : 'DIFF'} ${name}: ${expected} -> ${row?.n ?? 0}`);
	}
	const rooms = lite.prepare('SELECT id FROM rooms ORDER BY id').all() as { id: string }[];
	for (const { id } of rooms) {
		const source = roomChecksum(
			lite.prepare('SELECT seq, data FROM room_updates WHERE room_id = ? ORDER BY seq').all(id) as {
				seq: number;
				data: Uint8Array;
			}[],
			lite.prepare('SELECT upto_seq, data FROM room_snapshots WHERE room_id = ?').get(id) as
				{ upto_seq: number; data: Uint8Array } | undefined
		);
		const updates = await sql<{ seq: number; data: Uint8Array }[]>`SELECT seq, data
			FROM room_updates WHERE room_id = ${id} ORDER BY seq`;
		const [snapshot] = await sql<{ upto_seq: number; data: Uint8Array }[]>`SELECT upto_seq, data
			FROM room_snapshots WHERE room_id = ${id}`;
		const target = roomChecksum(updates, snapshot);
		if (source !== target) bad++;
		console.log(`${source === target ? 'ok  ' : 'DIFF'} room ${id}: sha256 ${target}`);
	}
	if (bad > 0) fail(`${bad} difference(s) between SQLite and PostgreSQL`);
	console.log(
		`migrate: copied ${rooms.length} rooms and ${blobs.length} files into PostgreSQL, verified`
	);
} finally {
	lite.close();
	await sql.end({ timeout: 5 });
}
