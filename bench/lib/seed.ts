/**
 * Puts users, sessions, rooms and memberships straight into a fresh DATA_DIR's SQLite (or a
 * fresh PostgreSQL database) before
 * the server starts: registering thousands through the API would be slow and rate limited.
 * Passwords are never checked by the sync server, so users get a placeholder hash.
 */
import * as encoding from 'lib0/encoding';
import { openPostgresStorage } from '../../src/lib/server/storage/postgres';
import { createSqliteStorage } from '../../src/lib/server/storage/sqlite';
import type { Storage } from '../../src/lib/server/storage/types';
import { usernameSkeleton } from '../../src/lib/server/username-skeleton';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { createRoom } from '../../src/lib/server/rooms';
import { SESSION_COOKIE, createSession } from '../../src/lib/server/session';
import { generateId } from '../../src/lib/server/id';
import { makeDeviceKeys, signedMessage, type Signer } from '../../tests/support/device';
import { storeAsSnapshot, withServerStorage } from '../../tests/support/stored';

export interface BenchUser {
	readonly id: string;
	/** The Cookie header value for this user's session. */
	readonly cookie: string;
	/** A device registered for the user (docs/design.md "Device keys"): signs its messages. */
	readonly signer: Signer;
}

export interface Seeded {
	readonly users: BenchUser[];
	/** Room ids; room r's members are `members[r]` (indexes into users). */
	readonly rooms: string[];
}

/**
 * Creates `users` users and `rooms` rooms; `membersOf(room)` lists the user indexes of each
 * room (the first one owns it).
 */
export async function seed(
	dataDir: string,
	spec: { users: number; rooms: number; membersOf: (room: number) => readonly number[] },
	/** With a postgres:// URL, the records go there (through the storage) instead of SQLite. */
	options: { readonly databaseUrl?: string } = {}
): Promise<Seeded> {
	const now = Date.now();
	let storage: Storage;
	if (options.databaseUrl) {
		storage = await openPostgresStorage(options.databaseUrl);
		for (let i = 0; i < spec.users; i++) {
			const username = `bench_${i}`;
			await storage.accounts.createUser({
				user: { id: `benchuser${i}`, username },
				skeleton: usernameSkeleton(username),
				passwordHash: 'not-a-hash',
				now
			});
		}
	} else {
		const db = openDatabase(databaseFile(dataDir));
		storage = createSqliteStorage(db);
		const insertUser = db.prepare(
			'INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)'
		);
		db.transaction(() => {
			for (let i = 0; i < spec.users; i++)
				insertUser.run(`benchuser${i}`, `bench_${i}`, 'not-a-hash', now);
		})();
	}
	try {
		const users: BenchUser[] = [];
		for (let i = 0; i < spec.users; i++) {
			const id = `benchuser${i}`;
			const { token } = await createSession(storage.accounts, id, now);
			// Straight into storage, as the API would after checking the proof of possession.
			const keys = makeDeviceKeys();
			const device = { id: generateId(), userId: id, name: 'bench', createdAt: now, ...keys };
			const registered = await storage.devices.register(device, 1);
			if (!registered.ok) throw new Error(`bench device: ${registered.reason}`);
			users.push({
				id,
				cookie: `${SESSION_COOKIE}=${token}`,
				signer: { id: device.id, sign: keys.sign }
			});
		}
		const rooms: string[] = [];
		for (let r = 0; r < spec.rooms; r++) {
			const members = spec.membersOf(r);
			const owner = users[members[0] ?? 0];
			if (!owner) throw new Error('a room needs an owner');
			const room = await createRoom(storage.rooms, owner.id, `bench room ${r}`, 'private', now);
			for (const m of members.slice(1)) {
				const user = users[m];
				if (user) await storage.rooms.addMember(room.id, user.id, now);
			}
			rooms.push(room.id);
		}
		return { users, rooms };
	} finally {
		await storage.close();
	}
}

/**
 * A room history of `count` messages as one Yjs update, written the way real clients write:
 * one item per message, each after the previous one, authors taking turns in short runs, each
 * author with its own clientID. Encoded directly (update format v1) rather than by pushing
 * into a Y.Doc, so a million messages take seconds, not minutes; the server still integrates
 * every item when it loads the room, which is what the bench measures.
 */
export function buildHistory(
	count: number,
	authors: readonly string[],
	/** Appended to every message's text (to make a room of a given size in bytes). */
	pad = '',
	/** Each message signed by its author's device (`signers[i]` for `authors[i]`), as clients do now. */
	signed?: { readonly roomId: string; readonly signers: readonly Signer[] }
): Uint8Array {
	const clientIds = authors.map((_, i) => 1_000_000 + i);
	// Per author: the messages it wrote, as (origin of each item) in clock order.
	const perAuthor: { origin: [number, number] | null; index: number }[][] = authors.map(() => []);
	let author = 0;
	let previous: [number, number] | null = null;
	for (let i = 0; i < count; i++) {
		// A new author every 1–4 messages, so items are not one long run.
		if (i % ((i % 4) + 1) === 0) author = (author + 1) % authors.length;
		const list = perAuthor[author] ?? [];
		list.push({ origin: previous, index: i });
		previous = [clientIds[author] ?? 0, list.length - 1];
	}
	const encoder = encoding.createEncoder();
	const writers = perAuthor.filter((list) => list.length > 0).length;
	encoding.writeVarUint(encoder, writers);
	perAuthor.forEach((list, a) => {
		if (list.length === 0) return;
		encoding.writeVarUint(encoder, list.length);
		encoding.writeVarUint(encoder, clientIds[a] ?? 0);
		encoding.writeVarUint(encoder, 0);
		for (const { origin, index } of list) {
			const CONTENT_ANY = 8;
			if (origin) {
				encoding.writeUint8(encoder, 0x80 | CONTENT_ANY);
				encoding.writeVarUint(encoder, origin[0]);
				encoding.writeVarUint(encoder, origin[1]);
			} else {
				// The first message: no neighbour, so its parent is named (the root "messages").
				encoding.writeUint8(encoder, CONTENT_ANY);
				encoding.writeVarUint(encoder, 1);
				encoding.writeVarString(encoder, 'messages');
			}
			encoding.writeVarUint(encoder, 1);
			const message = {
				id: crypto.randomUUID(),
				author: authors[a] ?? '',
				text: `history message number ${index} with a few words of text${pad}`,
				ts: 1_700_000_000_000 + index
			};
			const signer = signed?.signers[a];
			encoding.writeAny(
				encoder,
				signed && signer ? signedMessage(signer, signed.roomId, message) : message
			);
		}
	});
	encoding.writeVarUint(encoder, 0); // empty delete set
	return encoding.toUint8Array(encoder);
}

/** Stores `state` as the room's snapshot (seq 1), as compaction would have left it. */
export async function storeSnapshot(
	dataDir: string,
	roomId: string,
	state: Uint8Array
): Promise<void> {
	await withServerStorage(dataDir, (storage) => storeAsSnapshot(storage.roomLog, roomId, state));
}
