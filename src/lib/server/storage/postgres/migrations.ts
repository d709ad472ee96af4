/**
 * PostgreSQL's numbered migrations, one for each of SQLite's (../sqlite/migrations.ts 1–9), with
 * the same tables, columns and meaning. Applied in order at start-up, each in its own
 * transaction under an advisory lock (two instances starting together apply each once); the
 * applied versions are rows of `schema_migrations`. Never edit one that has shipped: add the next
 * number, here AND in SQLite's list.
 *
 * Dialect: ms timestamps, seqs, clientIDs and clocks are BIGINT (read back as numbers, see db.ts);
 * bytes are BYTEA; usernames are unique case-insensitively through a UNIQUE index on
 * lower(username) (SQLite: COLLATE NOCASE); search is a stored tsvector with a GIN index
 * (SQLite: FTS5).
 */
import { usernameSkeletonSql } from '../../username-skeleton';
import type { Migration } from '../sqlite/migrations';

export const postgresMigrations: readonly Migration[] = [
	{
		version: 1,
		name: 'initial schema',
		sql: /* sql */ `
			CREATE TABLE users (
				id TEXT PRIMARY KEY,
				username TEXT NOT NULL,
				password_hash TEXT NOT NULL,
				created_at BIGINT NOT NULL
			);
			CREATE UNIQUE INDEX users_username ON users (lower(username));

			CREATE TABLE sessions (
				id TEXT PRIMARY KEY,
				secret_hash BYTEA NOT NULL,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				created_at BIGINT NOT NULL,
				last_verified_at BIGINT NOT NULL
			);
			CREATE INDEX sessions_user ON sessions (user_id);

			CREATE TABLE rooms (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
				owner_id TEXT NOT NULL REFERENCES users (id),
				created_at BIGINT NOT NULL,
				last_seq BIGINT NOT NULL DEFAULT 0
			);
			CREATE INDEX rooms_public ON rooms (visibility, created_at);

			CREATE TABLE memberships (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
				joined_at BIGINT NOT NULL,
				PRIMARY KEY (room_id, user_id)
			);
			CREATE INDEX memberships_user ON memberships (user_id);

			-- The durable update log: seq counts per room without gaps (rooms.last_seq is the head,
			-- taken under the room row's lock by every commit: docs/design.md "Storage").
			CREATE TABLE room_updates (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				seq BIGINT NOT NULL,
				data BYTEA NOT NULL,
				created_at BIGINT NOT NULL,
				PRIMARY KEY (room_id, seq)
			);

			CREATE TABLE room_snapshots (
				room_id TEXT PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
				data BYTEA NOT NULL,
				upto_seq BIGINT NOT NULL,
				updated_at BIGINT NOT NULL
			);

			CREATE TABLE client_ids (
				room_id TEXT NOT NULL,
				client_id BIGINT NOT NULL,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				created_at BIGINT NOT NULL,
				PRIMARY KEY (room_id, client_id)
			);
		`
	},
	{
		version: 2,
		name: 'direct messages and invites',
		sql: /* sql */ `
			ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));
			ALTER TABLE rooms ADD COLUMN dm_key TEXT;
			CREATE UNIQUE INDEX rooms_dm_key ON rooms (dm_key);

			CREATE TABLE invites (
				id TEXT PRIMARY KEY,
				token_hash BYTEA NOT NULL UNIQUE,
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				created_at BIGINT NOT NULL,
				expires_at BIGINT NOT NULL,
				max_uses INTEGER,
				uses INTEGER NOT NULL DEFAULT 0,
				revoked_at BIGINT
			);
			CREATE INDEX invites_room ON invites (room_id, expires_at);
		`
	},
	{
		version: 3,
		name: 'files and search',
		sql: /* sql */ `
			CREATE TABLE files (
				id TEXT PRIMARY KEY,
				sha256 TEXT NOT NULL,
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				uploader_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				type TEXT NOT NULL,
				size BIGINT NOT NULL,
				created_at BIGINT NOT NULL
			);
			CREATE INDEX files_room ON files (room_id);
			CREATE INDEX files_sha256 ON files (sha256);

			-- The search index. tsv is the 'simple' configuration's lexemes of the current text
			-- (lower-cased words, no stemming: prefix matching like SQLite's unicode61 FTS5).
			CREATE TABLE message_index (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				message_id TEXT NOT NULL,
				author TEXT NOT NULL,
				ts DOUBLE PRECISION NOT NULL,
				text TEXT NOT NULL,
				deleted BOOLEAN NOT NULL DEFAULT false,
				changed_ts DOUBLE PRECISION NOT NULL DEFAULT 0,
				tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED,
				UNIQUE (room_id, message_id)
			);
			CREATE INDEX message_index_room_ts ON message_index (room_id, ts);
			CREATE INDEX message_index_tsv ON message_index USING GIN (tsv);

			CREATE TABLE message_change_items (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				client BIGINT NOT NULL,
				clock BIGINT NOT NULL,
				length BIGINT NOT NULL,
				message_id TEXT NOT NULL,
				PRIMARY KEY (room_id, client, clock)
			);
		`
	},
	{
		version: 4,
		name: 'client id high-water marks',
		sql: /* sql */ `
			ALTER TABLE client_ids ADD COLUMN max_clock BIGINT NOT NULL DEFAULT 0;
		`
	},
	{
		version: 5,
		name: 'history segments',
		sql: /* sql */ `
			ALTER TABLE rooms ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
			CREATE TABLE room_segments (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				n INTEGER NOT NULL,
				epoch INTEGER NOT NULL,
				count INTEGER NOT NULL,
				first_id TEXT NOT NULL,
				last_id TEXT NOT NULL,
				data BYTEA NOT NULL,
				created_at BIGINT NOT NULL,
				PRIMARY KEY (room_id, n)
			);
			CREATE TABLE room_message_ids (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				id TEXT NOT NULL,
				author TEXT NOT NULL,
				PRIMARY KEY (room_id, id)
			);
			CREATE TABLE room_epochs (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				epoch INTEGER NOT NULL,
				state_vector BYTEA NOT NULL,
				sealed_at BIGINT NOT NULL,
				PRIMARY KEY (room_id, epoch)
			);
		`
	},
	{
		version: 6,
		name: 'known login devices and addresses',
		sql: /* sql */ `
			CREATE TABLE known_logins (
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				key_hash BYTEA NOT NULL,
				last_seen_at BIGINT NOT NULL,
				PRIMARY KEY (user_id, key_hash)
			);
		`
	},
	{
		version: 7,
		name: 'room bans',
		sql: /* sql */ `
			CREATE TABLE room_bans (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				banned_at BIGINT NOT NULL,
				PRIMARY KEY (room_id, user_id)
			);
		`
	},
	{
		version: 8,
		name: 'dm requests',
		sql: /* sql */ `
			CREATE TABLE dm_requests (
				room_id TEXT PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
				sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				created_at BIGINT NOT NULL
			);
			CREATE INDEX dm_requests_recipient ON dm_requests (recipient_id, created_at);
			CREATE TABLE dm_declines (
				recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				declined_at BIGINT NOT NULL,
				PRIMARY KEY (recipient_id, sender_id)
			);
		`
	},
	{
		version: 9,
		name: 'username skeletons',
		sql: /* sql */ `
			ALTER TABLE users ADD COLUMN username_skeleton TEXT;
			UPDATE users SET username_skeleton = ${usernameSkeletonSql('username')};
			UPDATE users SET username_skeleton = NULL
			WHERE EXISTS (
				SELECT 1 FROM users AS older
				WHERE older.username_skeleton = users.username_skeleton
					AND (older.created_at < users.created_at
						OR (older.created_at = users.created_at AND older.id < users.id))
			);
			CREATE UNIQUE INDEX users_username_skeleton ON users (username_skeleton);
		`
	},
	{
		version: 10,
		name: 'read marks for summaries',
		sql: /* sql */ `
			-- The summary channel (docs/design.md "Summary channel"): each member's last read mark per
			-- room (one row per member, rewritten when they read; nothing per message).
			CREATE TABLE read_marks (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				up_to TEXT NOT NULL,
				ts DOUBLE PRECISION NOT NULL,
				PRIMARY KEY (room_id, user_id)
			);
			-- A room's messages in index order: the latest one, and those after a mark.
			CREATE INDEX message_index_room_id ON message_index (room_id, id);
		`
	},
	{
		version: 11,
		name: 'file references',
		sql: /* sql */ `
			-- Uploads a stored message names (sync server commit): garbage collection deletes the others
			-- once older than FILE_GC_GRACE_MS. Uploads from before this table all count as referenced.
			CREATE TABLE file_refs (
				file_id TEXT PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE
			);
			INSERT INTO file_refs (file_id) SELECT id FROM files;
			CREATE INDEX files_created_at ON files (created_at);
		`
	},
	{
		version: 12,
		name: 'devices',
		sql: /* sql */ `
			-- Device keys (docs/design.md "Device keys"): one row per browser that registered, kept
			-- after its removal (removed_at set) so its key still names what it signed.
			CREATE TABLE devices (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				signing_key TEXT NOT NULL UNIQUE,
				agreement_key TEXT NOT NULL,
				created_at BIGINT NOT NULL,
				removed_at BIGINT
			);
			CREATE INDEX devices_user ON devices (user_id, created_at);
		`
	},
	{
		version: 13,
		name: 'delivery marks',
		sql: /* sql */ `
			-- Delivered ticks (docs/design.md "Delivered and read"): how far each member's devices
			-- have received a room, one row per room and member (never a row per message); seq is
			-- the room log's seq the mark was acknowledged at, so a mark only moves forward.
			CREATE TABLE delivery_marks (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				up_to TEXT NOT NULL,
				seq BIGINT NOT NULL,
				ts BIGINT NOT NULL,
				PRIMARY KEY (room_id, user_id)
			);
		`
	},
	{
		version: 14,
		name: 'notification levels',
		sql: /* sql */ `
			-- Notification levels, account-wide (docs/design.md "Notification levels"): a user's
			-- level for one room (none: their default), and their default (none: 'all').
			CREATE TABLE notification_levels (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'nothing')),
				PRIMARY KEY (room_id, user_id)
			);
			CREATE TABLE notification_defaults (
				user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
				level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'nothing'))
			);
		`
	},
	{
		version: 15,
		name: 'room topic and archive',
		sql: /* sql */ `
			-- As SQLite's 15: a room's topic, and when it was archived (NULL while open).
			ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
			ALTER TABLE rooms ADD COLUMN archived_at BIGINT;
		`
	},
	{
		version: 16,
		name: 'display names',
		sql: /* sql */ `
			-- As SQLite's 16: the display name a user chose ('' shows the username).
			ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
		`
	},
	{
		version: 17,
		name: 'encrypted rooms',
		sql: /* sql */ `
			-- End-to-end encrypted rooms and DMs (docs/design.md "Encrypted rooms"), chosen at
			-- creation. Rooms from before stay plain.
			ALTER TABLE rooms ADD COLUMN encrypted BOOLEAN NOT NULL DEFAULT false;
		`
	},
	{
		version: 18,
		name: 'device inbox',
		sql: /* sql */ `
			-- The to-device channel: sealed key shares waiting for their recipient device (as SQLite).
			CREATE TABLE device_inbox (
				id TEXT PRIMARY KEY,
				to_device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
				from_device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
				body TEXT NOT NULL,
				sig TEXT NOT NULL,
				created_at BIGINT NOT NULL
			);
			CREATE INDEX device_inbox_to ON device_inbox (to_device, created_at, id);
		`
	},
	{
		version: 19,
		name: 'group dm requests',
		sql: /* sql */ `
			-- Group DMs: one request per (DM, recipient), not per DM (as SQLite).
			ALTER TABLE dm_requests DROP CONSTRAINT dm_requests_pkey;
			ALTER TABLE dm_requests ADD PRIMARY KEY (room_id, recipient_id);
		`
	},
	{
		version: 20,
		name: 'uploaded avatars',
		sql: /* sql */ `
			-- As SQLite's 20: a user's uploaded picture (NULL without one), and the bytes of
			-- replaced or removed pictures for garbage collection.
			ALTER TABLE users ADD COLUMN avatar_sha256 TEXT;
			ALTER TABLE users ADD COLUMN avatar_type TEXT;
			ALTER TABLE users ADD COLUMN avatar_version TEXT;
			CREATE INDEX users_avatar_sha256 ON users (avatar_sha256) WHERE avatar_sha256 IS NOT NULL;
			CREATE TABLE retired_avatars (
				sha256 TEXT NOT NULL,
				retired_at BIGINT NOT NULL
			);
			CREATE INDEX retired_avatars_at ON retired_avatars (retired_at);
		`
	}
];

/**
 * The blob store's tables. PostgreSQL only (a SQLite deployment keeps its blobs in DATA_DIR), so
 * numbered from 1001, apart from the migrations shared with SQLite (above); blobs.ts uses them.
 */
export const blobMigrations: readonly Migration[] = [
	{
		version: 1001,
		name: 'blob store',
		sql: /* sql */ `
			CREATE TABLE blobs (
				sha256 TEXT PRIMARY KEY,
				size BIGINT NOT NULL,
				chunks INTEGER NOT NULL,
				created_at BIGINT NOT NULL
			);
			CREATE TABLE blob_chunks (
				sha256 TEXT NOT NULL REFERENCES blobs (sha256) ON DELETE CASCADE,
				idx INTEGER NOT NULL,
				data BYTEA NOT NULL,
				PRIMARY KEY (sha256, idx)
			);
			CREATE TABLE blob_staging (
				upload_id TEXT NOT NULL,
				idx INTEGER NOT NULL,
				data BYTEA NOT NULL,
				staged_at BIGINT NOT NULL,
				PRIMARY KEY (upload_id, idx)
			);
			CREATE INDEX blob_staging_staged_at ON blob_staging (staged_at);
		`
	}
];
