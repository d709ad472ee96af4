/**
 * Healing, end to end: the server loses a room's data (rows deleted, as after a restore from an
 * older backup), and one member's replica, reconnecting, gives the room back everything, the
 * other members' messages included. A forged "relay" under another user's clientID is refused.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { databaseFile } from '../../src/lib/server/storage/sqlite/db';
import { createPrivateRoom, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { storedRoomDoc } from '../support/stored';
import { connectAs, type ChatMessage, type SyncClient } from '../support/sync-client';
import { RawClient, captureUpdate, storedLog } from './gate-raw-client';

let server: ServerHandle;
let restarted: ServerHandle | undefined;
let alice: User;
let bob: User;
let carol: User;
let roomId: string;
const clients: SyncClient[] = [];
const raws: RawClient[] = [];

function connect(user: User, handle: ServerHandle, doc?: Y.Doc): SyncClient {
	const client = connectAs(user, handle, roomId, doc);
	clients.push(client);
	return client;
}

/** What a backup restore (or a careless DELETE) does: the room's data is gone, its rows stay. */
function loseRoomData(dataDir: string): void {
	const db = new Database(databaseFile(dataDir), { fileMustExist: true });
	try {
		db.transaction(() => {
			db.prepare('DELETE FROM room_updates WHERE room_id = ?').run(roomId);
			db.prepare('DELETE FROM room_snapshots WHERE room_id = ?').run(roomId);
			db.prepare('UPDATE rooms SET last_seq = 0 WHERE id = ?').run(roomId);
		})();
	} finally {
		db.close();
	}
}

function highWaterMarks(dataDir: string): Map<number, number> {
	const db = new Database(databaseFile(dataDir), { readonly: true, fileMustExist: true });
	try {
		const rows = db
			.prepare<[string], { client_id: number; max_clock: number }>(
				'SELECT client_id, max_clock FROM client_ids WHERE room_id = ?'
			)
			.all(roomId);
		return new Map(rows.map((row) => [row.client_id, row.max_clock]));
	} finally {
		db.close();
	}
}

function texts(messages: readonly ChatMessage[]): string[] {
	return messages.map((message) => message.text);
}

let bobDoc: Y.Doc;
let aliceClientId: number;
let conversation: ChatMessage[];

beforeAll(async () => {
	// Rules 1–6 alone: this file's raw clients write unsigned items, as before signatures
	// (REQUIRE_SIGNATURES=0, the migration setting). Rule 7: signatures.test.ts.
	server = await startServer({ env: { REQUIRE_SIGNATURES: '0' } });
	[alice, bob, carol] = await Promise.all([
		signingClient(server.url),
		signingClient(server.url),
		signingClient(server.url)
	]);
	roomId = await createPrivateRoom(alice, 'heal', [bob, carol]);

	// Alice and Bob talk; both replicas hold the whole conversation, all of it committed.
	bobDoc = new Y.Doc();
	const aliceClient = connect(alice, server);
	const bobClient = connect(bob, server, bobDoc);
	await Promise.all([
		aliceClient.waitFor(() => aliceClient.provider.synced, 5_000, 'alice synced'),
		bobClient.waitFor(() => bobClient.provider.synced, 5_000, 'bob synced')
	]);
	aliceClient.send('hello bob');
	await bobClient.waitFor(() => bobClient.messages().length === 1, 5_000, 'bob sees alice');
	bobClient.send('hello alice');
	await aliceClient.waitFor(() => aliceClient.messages().length === 2, 5_000, 'alice sees bob');
	const last = aliceClient.send('shall we heal?');
	aliceClient.doc.getMap('reads').set(alice.userId, { upTo: last.id, ts: Date.now() });
	await Promise.all([aliceClient.waitForStored(), bobClient.waitForStored()]);
	// All of it: the three messages and alice's read mark (a separate update, which may come
	// after the last message: bob's replica must hold every clock of alice the server holds).
	await bobClient.waitFor(
		() => bobClient.messages().length === 3 && bobDoc.getMap('reads').has(alice.userId),
		5_000,
		'bob has all'
	);
	aliceClientId = aliceClient.doc.clientID;
	conversation = bobClient.messages();
	aliceClient.destroy();
	bobClient.destroy();

	await server.stop();
	expect(highWaterMarks(server.dataDir).get(aliceClientId)).toBe(
		Y.getState(bobDoc.store, aliceClientId)
	);
	loseRoomData(server.dataDir);
	expect(storedRoomDoc(server.dataDir, roomId).getArray('messages').length).toBe(0);
	restarted = await server.restart();
});

afterAll(async () => {
	for (const raw of raws) raw.close();
	for (const client of clients) client.destroy();
	await restarted?.dispose();
	await server?.dispose();
});

describe('healing a room the server lost', () => {
	it('takes every message back from the one member who reconnects', async () => {
		const handle = restarted as ServerHandle;
		const bobClient = connect(bob, handle, bobDoc);
		// Bob's STORED receipt for Alice's clientID: the server committed her part of his relay.
		await bobClient.waitFor(
			() => (bobClient.stored.get(aliceClientId) ?? 0) >= Y.getState(bobDoc.store, aliceClientId),
			10_000,
			'alice’s messages stored again'
		);
		expect(bobClient.denied).toEqual([]);

		const stored = storedRoomDoc(handle.dataDir, roomId);
		expect(stored.getArray('messages').toJSON()).toEqual(conversation);
		expect(stored.getMap('reads').get(alice.userId)).toMatchObject({ upTo: conversation[2]?.id });

		const carolClient = connect(carol, handle);
		await carolClient.waitFor(
			() => carolClient.messages().length === conversation.length,
			5_000,
			'carol sees the healed room'
		);
		expect(carolClient.messages()).toEqual(conversation);
		expect(texts(carolClient.messages())).toEqual(['hello bob', 'hello alice', 'shall we heal?']);
	});

	it('refuses a forged relay under another user’s clientID, and stores nothing of it', async () => {
		const handle = restarted as ServerHandle;
		const raw = await RawClient.open({
			syncUrl: handle.syncUrl,
			roomId,
			cookie: bob.cookie ?? '',
			origin: handle.url
		});
		raws.push(raw);
		await raw.sync();
		await raw.waitFor(
			() => raw.doc.getArray('messages').length === conversation.length,
			5_000,
			'the healed room'
		);
		const logBefore = storedLog(handle.dataDir, roomId);

		// Bob writes past Alice's high-water mark with her clientID, in her name.
		raw.doc.clientID = aliceClientId;
		const forged = captureUpdate(raw.doc, () =>
			raw.doc
				.getArray('messages')
				.push([
					{ id: crypto.randomUUID(), author: alice.userId, text: 'send me money', ts: Date.now() }
				])
		);
		raw.sendUpdate(forged);
		await raw.waitFor(() => raw.denied.length > 0, 5_000, 'permission denied');
		expect(raw.denied[0]).toMatch(/^rule 5: clientID \d+ belongs to another user/);
		expect(storedLog(handle.dataDir, roomId)).toEqual(logBefore);
		expect(
			texts(storedRoomDoc(handle.dataDir, roomId).getArray<ChatMessage>('messages').toArray())
		).toEqual(texts(conversation));
	});
});
