/**
 * Numbered migrations, applied in order at start-up inside one transaction each.
 * Never edit a migration that has shipped: add the next number.
 */
import { usernameSkeletonSql } from '../../username-skeleton';

export interface Migration {
	readonly version: number;
	readonly name: string;
	readonly sql: string;
}

export const migrations: readonly Migration[] = [
	{
		version: 1,
		name: 'initial schema',
		sql: /* sql */ `
			CREATE TABLE users (
				id TEXT PRIMARY KEY,
				username TEXT NOT NULL UNIQUE COLLATE NOCASE,
				password_hash TEXT NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;

			CREATE TABLE sessions (
				id TEXT PRIMARY KEY,
				secret_hash BLOB NOT NULL,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				created_at INTEGER NOT NULL,
				last_verified_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX sessions_user ON sessions(user_id);

			CREATE TABLE rooms (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
				owner_id TEXT NOT NULL REFERENCES users(id),
				created_at INTEGER NOT NULL,
				last_seq INTEGER NOT NULL DEFAULT 0
			) STRICT;
			CREATE INDEX rooms_public ON rooms(visibility, created_at);

			CREATE TABLE memberships (
				room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
				joined_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, user_id)
			) STRICT;
			CREATE INDEX memberships_user ON memberships(user_id);

			-- The durable update log. seq counts per room without gaps (rooms.last_seq holds the
			-- head, so compaction can delete rows): an instance that sees seq N+2 after N knows it
			-- missed one and reads it back from here (docs/design.md, Scaling out).
			CREATE TABLE room_updates (
				room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
				seq INTEGER NOT NULL,
				data BLOB NOT NULL,
				created_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, seq)
			) STRICT, WITHOUT ROWID;

			-- One compacted Yjs update per room: everything in the log up to upto_seq.
			CREATE TABLE room_snapshots (
				room_id TEXT PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
				data BLOB NOT NULL,
				upto_seq INTEGER NOT NULL,
				updated_at INTEGER NOT NULL
			) STRICT;

			-- Gate rule 5: a Yjs clientID belongs to the first user who writes with it in a room.
			-- Kept apart from the room data on purpose (docs/design.md, Healing).
			CREATE TABLE client_ids (
				room_id TEXT NOT NULL,
				client_id INTEGER NOT NULL,
				user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				created_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, client_id)
			) STRICT;
		`
	},
	{
		version: 2,
		name: 'direct messages and invites',
		sql: /* sql */ `
			-- A DM is a private room of kind 'dm' with exactly two members. dm_key is the two user
			-- ids sorted and joined with ':'; its UNIQUE index makes one DM per pair even when both
			-- start one at the same moment (NULLs, i.e. ordinary rooms, never collide).
			ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));
			ALTER TABLE rooms ADD COLUMN dm_key TEXT;
			CREATE UNIQUE INDEX rooms_dm_key ON rooms(dm_key);

			-- Invite links. Like session secrets, only SHA-256(token) is stored: a leaked database
			-- does not hand out working links. Revoked invites stay (revoked_at) so a visitor learns
			-- the link is gone (410) rather than unknown (404).
			CREATE TABLE invites (
				id TEXT PRIMARY KEY,
				token_hash BLOB NOT NULL UNIQUE,
				room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
				created_by TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				created_at INTEGER NOT NULL,
				expires_at INTEGER NOT NULL,
				max_uses INTEGER,
				uses INTEGER NOT NULL DEFAULT 0,
				revoked_at INTEGER
			) STRICT;
			CREATE INDEX invites_room ON invites(room_id, expires_at);
		`
	},
	{
		version: 3,
		name: 'files and search',
		sql: /* sql */ `
			-- Uploads. The bytes live once per content under DATA_DIR/files/<sha[0..2]>/<sha>; each
			-- upload is its own row (id, name, type) tied to the room whose members may read it.
			CREATE TABLE files (
				id TEXT PRIMARY KEY,
				sha256 TEXT NOT NULL,
				room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
				uploader_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				type TEXT NOT NULL,
				size INTEGER NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX files_room ON files(room_id);
			CREATE INDEX files_sha256 ON files(sha256);

			-- The search index: one row per message, written by the sync server's indexer after
			-- each commit (sync-server/search-indexer.ts). text is the current text (edits applied,
			-- '' once deleted); changed_ts is the ts of the change that set it (latest wins).
			CREATE TABLE message_index (
				rowid INTEGER PRIMARY KEY,
				room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
				message_id TEXT NOT NULL,
				author TEXT NOT NULL,
				ts REAL NOT NULL,
				text TEXT NOT NULL,
				deleted INTEGER NOT NULL DEFAULT 0,
				changed_ts REAL NOT NULL DEFAULT 0,
				UNIQUE (room_id, message_id)
			) STRICT;
			CREATE INDEX message_index_room_ts ON message_index(room_id, ts);

			-- External-content FTS5: the text is stored once (in message_index) and the triggers
			-- keep the full-text index in step with it.
			CREATE VIRTUAL TABLE message_fts USING fts5(
				text, content = 'message_index', content_rowid = 'rowid',
				tokenize = 'unicode61 remove_diacritics 2'
			);
			CREATE TRIGGER message_index_ai AFTER INSERT ON message_index BEGIN
				INSERT INTO message_fts(rowid, text) VALUES (new.rowid, new.text);
			END;
			CREATE TRIGGER message_index_ad AFTER DELETE ON message_index BEGIN
				INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
			END;
			CREATE TRIGGER message_index_au AFTER UPDATE OF text ON message_index BEGIN
				INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
				INSERT INTO message_fts(rowid, text) VALUES (new.rowid, new.text);
			END;

			-- Where each item of a room's 'changes' map sits (its key, a message id). A Yjs update
			-- omits the parent and key of an item that has an origin (a second edit points at the
			-- first): the indexer finds the key through the origin's row here.
			CREATE TABLE message_change_items (
				room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
				client INTEGER NOT NULL,
				clock INTEGER NOT NULL,
				length INTEGER NOT NULL,
				message_id TEXT NOT NULL,
				PRIMARY KEY (room_id, client, clock)
			) STRICT, WITHOUT ROWID;
		`
	},
	{
		version: 4,
		name: 'client id high-water marks',
		sql: /* sql */ `
			-- Healing (docs/design.md): the highest clock + length of any struct with this clientID
			-- the server has committed in the room. Raised in the transaction that appends the
			-- update; kept apart from room_updates/room_snapshots, so losing or restoring room data
			-- leaves it standing, and a replica may re-upload another user's structs below it.
			ALTER TABLE client_ids ADD COLUMN max_clock INTEGER NOT NULL DEFAULT 0;
		`
	},
	{
		version: 5,
		name: 'history segments',
		sql: /* sql */ `
			-- History segments (docs/design.md "History segments"): a room's live document is
			-- its head, epoch rooms.epoch. Sealing moves the head's messages into immutable
			-- segments and starts a fresh head doc (epoch + 1).
			ALTER TABLE rooms ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
			-- One row per segment, n = 0, 1, 2 ... in history order across epochs.
			-- data: gzip of the JSON array of message objects, in array order.
			CREATE TABLE room_segments (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				n INTEGER NOT NULL,
				epoch INTEGER NOT NULL,
				count INTEGER NOT NULL,
				first_id TEXT NOT NULL,
				last_id TEXT NOT NULL,
				data BLOB NOT NULL,
				created_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, n)
			) STRICT;
			-- Every sealed message's id and author: the gate's rules 2 and 4 for ids not in the head.
			CREATE TABLE room_message_ids (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				id TEXT NOT NULL,
				author TEXT NOT NULL,
				PRIMARY KEY (room_id, id)
			) STRICT, WITHOUT ROWID;
			-- A sealed epoch's final state vector (Y.encodeStateVector of the head when sealed):
			-- a client holding that epoch's replica re-sends into the new head what it does not cover.
			CREATE TABLE room_epochs (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				epoch INTEGER NOT NULL,
				state_vector BLOB NOT NULL,
				sealed_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, epoch)
			) STRICT;
		`
	},
	{
		version: 6,
		name: 'known login devices and addresses',
		sql: /* sql */ `
			-- Where each user logged in from (docs/design.md "Accounts and login limits"): SHA-256
			-- of 'device:' + the parley_device cookie's token, or of 'address:' + a client address.
			-- A known device or address has its own failed-login bucket, so a stranger's guesses
			-- never lock the owner out. Hashed: a leaked database holds no usable device token.
			CREATE TABLE known_logins (
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				key_hash BLOB NOT NULL,
				last_seen_at INTEGER NOT NULL,
				PRIMARY KEY (user_id, key_hash)
			) STRICT, WITHOUT ROWID;
		`
	},
	{
		version: 7,
		name: 'room bans',
		sql: /* sql */ `
			-- Removal by the owner is a ban (docs/design.md "HTTP API"): the user cannot join the
			-- room again until an invite they accept, the owner adding them, or an unban deletes
			-- the row. Leaving on one's own writes none.
			CREATE TABLE room_bans (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				banned_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, user_id)
			) STRICT, WITHOUT ROWID;
		`
	},
	{
		version: 8,
		name: 'dm requests',
		sql: /* sql */ `
			-- A DM opened with someone who shares no room with the sender is a request
			-- (docs/design.md "Direct messages"): the recipient is NOT in memberships until they
			-- accept, so every membership check (sync upgrade, history, files, search) keeps them
			-- out without knowing about requests. One row per pending DM.
			CREATE TABLE dm_requests (
				room_id TEXT PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
				sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				created_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX dm_requests_recipient ON dm_requests (recipient_id, created_at);
			-- A declined request: sender_id may not request recipient_id again until the recipient
			-- opens the DM themselves.
			CREATE TABLE dm_declines (
				recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				declined_at INTEGER NOT NULL,
				PRIMARY KEY (recipient_id, sender_id)
			) STRICT, WITHOUT ROWID;
		`
	},
	{
		version: 9,
		name: 'username skeletons',
		sql: /* sql */ `
			-- Look-alike names (username-skeleton.ts): one account per confusable skeleton.
			ALTER TABLE users ADD COLUMN username_skeleton TEXT;
			UPDATE users SET username_skeleton = ${usernameSkeletonSql('username')};
			-- Existing look-alikes keep their accounts: the oldest keeps the skeleton, the others
			-- get NULL (distinct in a UNIQUE index), so the migration never fails on old data.
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
			-- The summary channel (docs/design.md "Summary channel"): each member's last read mark
			-- per room, copied from the room document's \`reads\` by the sync server after commit
			-- (one row per member, rewritten when they read; nothing per message).
			CREATE TABLE read_marks (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				up_to TEXT NOT NULL,
				ts INTEGER NOT NULL,
				PRIMARY KEY (room_id, user_id)
			) STRICT, WITHOUT ROWID;
			-- A room's messages in index order (rowid): the latest one, and those after a mark.
			CREATE INDEX message_index_room ON message_index (room_id);
		`
	},
	{
		version: 11,
		name: 'file references',
		sql: /* sql */ `
			-- Uploads a stored message names (sync server commit): garbage collection deletes the
			-- others once older than FILE_GC_GRACE_MS. Uploads from before this table may be named
			-- by messages no one has re-read, so they all count as referenced.
			CREATE TABLE file_refs (
				file_id TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE
			) STRICT, WITHOUT ROWID;
			INSERT INTO file_refs (file_id) SELECT id FROM files;
			CREATE INDEX files_created_at ON files(created_at);
		`
	},
	{
		version: 12,
		name: 'devices',
		sql: /* sql */ `
			-- Device keys (docs/design.md "Device keys"): one row per browser that registered,
			-- kept after its removal (removed_at set) so its key still names what it signed.
			CREATE TABLE devices (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				name TEXT NOT NULL,
				signing_key TEXT NOT NULL UNIQUE,
				agreement_key TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				removed_at INTEGER
			) STRICT;
			CREATE INDEX devices_user ON devices (user_id, created_at);
		`
	},
	{
		version: 13,
		name: 'delivery marks',
		sql: /* sql */ `
			-- Delivered ticks (docs/design.md "Delivered and read"): how far each member's devices
			-- have received a room, one row per room and member (never a row per message); \`seq\`
			-- is the room log's seq the mark was acknowledged at, so a mark only moves forward.
			CREATE TABLE delivery_marks (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				up_to TEXT NOT NULL,
				seq INTEGER NOT NULL,
				ts INTEGER NOT NULL,
				PRIMARY KEY (room_id, user_id)
			) STRICT, WITHOUT ROWID;
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
			) STRICT, WITHOUT ROWID;
			CREATE TABLE notification_defaults (
				user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
				level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'nothing'))
			) STRICT, WITHOUT ROWID;
		`
	},
	{
		version: 15,
		name: 'room topic and archive',
		sql: /* sql */ `
			-- Room settings (docs/design.md "HTTP API", PATCH /api/rooms/:id): a topic shown under
			-- the name, and when the owner archived the room (read-only: the gate refuses new
			-- messages; NULL while open).
			ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
			ALTER TABLE rooms ADD COLUMN archived_at INTEGER;
		`
	},
	{
		version: 16,
		name: 'display names',
		sql: /* sql */ `
			-- A display name the user chose (docs/design.md "Profiles"); '' shows the username,
			-- which stays the unique handle.
			ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
		`
	},
	{
		version: 17,
		name: 'encrypted rooms',
		sql: /* sql */ `
			-- End-to-end encrypted rooms and DMs (docs/design.md "Encrypted rooms"), chosen at
			-- creation. Rooms from before stay plain.
			ALTER TABLE rooms ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0
				CHECK (encrypted IN (0, 1));
		`
	},
	{
		version: 18,
		name: 'device inbox',
		sql: /* sql */ `
			-- The to-device channel: sealed key shares waiting for their recipient device. The server
			-- holds ciphertext only; a message goes when its recipient acknowledges it.
			CREATE TABLE device_inbox (
				id TEXT PRIMARY KEY,
				to_device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
				from_device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
				body TEXT NOT NULL,
				sig TEXT NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX device_inbox_to ON device_inbox (to_device, created_at, id);
		`
	},
	{
		version: 19,
		name: 'group dm requests',
		sql: /* sql */ `
			-- Group DMs (docs/design.md "Direct messages"): a DM of 3-9 people may wait for several
			-- recipients at once, so a request is one row per (DM, recipient), not per DM.
			CREATE TABLE dm_requests_new (
				room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
				sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
				created_at INTEGER NOT NULL,
				PRIMARY KEY (room_id, recipient_id)
			) STRICT, WITHOUT ROWID;
			INSERT INTO dm_requests_new (room_id, sender_id, recipient_id, created_at)
				SELECT room_id, sender_id, recipient_id, created_at FROM dm_requests;
			DROP TABLE dm_requests;
			ALTER TABLE dm_requests_new RENAME TO dm_requests;
			CREATE INDEX dm_requests_recipient ON dm_requests (recipient_id, created_at);
		`
	},
	{
		version: 20,
		name: 'uploaded avatars',
		sql: /* sql */ `
			-- A user's uploaded picture (docs/design.md "Profiles"): its bytes in the blob store under
			-- avatar_sha256, its type, and the version its URLs carry; all NULL without one.
			ALTER TABLE users ADD COLUMN avatar_sha256 TEXT;
			ALTER TABLE users ADD COLUMN avatar_type TEXT;
			ALTER TABLE users ADD COLUMN avatar_version TEXT;
			CREATE INDEX users_avatar_sha256 ON users (avatar_sha256) WHERE avatar_sha256 IS NOT NULL;
			-- Bytes of replaced or removed pictures, for garbage collection once past its grace period.
			CREATE TABLE retired_avatars (
				sha256 TEXT NOT NULL,
				retired_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX retired_avatars_at ON retired_avatars (retired_at);
		`
	}
];
