/**
 * History segments through the real program (docs/design.md, "History segments (epochs)"):
 * with SEAL_AFTER_MESSAGES = 20, the message that fills the head seals it into history;
 * every socket of the room closes with 4409, SQLite holds the segments and the sealed ids, and
 * the next connection syncs a small head that still carries the edits, reactions and read
 * marks. Stock y-websocket clients, real sockets, one and then two instances (Redis).
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createPrivateRoom, type ApiClient, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { startRedis, type RedisHandle } from '../support/redis';
import { makeTempDir, startServer, type ServerHandle, readMetric } from '../support/server';
import { connectAs, type ChatMessage, type SyncClient } from '../support/sync-client';
import { readServerDb, storedRoomDoc } from '../support/stored';
import { waitFor } from '../support/wait';
import { storedLog } from './gate-raw-client';

const SEAL_AT = 20;
// The stock clients' edits, reactions and read marks below are written unsigned (the messages
// are signed): the migration setting admits them. Rule 7 itself: signatures.test.ts.
const ENV = { SEAL_AFTER_MESSAGES: String(SEAL_AT), REQUIRE_SIGNATURES: '0' };
const EPOCH_CHANGED = 4409;

const clients: SyncClient[] = [];

/**
 * A stock provider on `roomId`, at `epoch` if given. The provider puts the room name into the
 * URL as is (`<serverUrl>/<room>`), so a query after it is exactly what its `params` would add.
 */
function connectAt(
	user: User,
	server: ServerHandle,
	roomId: string,
	epoch?: number,
	doc?: Y.Doc
): SyncClient {
	const room = epoch === undefined ? roomId : `${roomId}?epoch=${epoch}`;
	const client = connectAs(user, server, room, doc);
	clients.push(client);
	return client;
}

async function synced(client: SyncClient): Promise<SyncClient> {
	await client.waitFor(() => client.provider.synced, 10_000, 'synced');
	return client;
}

function closedWith(client: SyncClient, code: number): Promise<void> {
	return client.waitFor(
		() => client.closes.some((close) => close.code === code),
		10_000,
		`close ${code}`
	);
}

interface History {
	epoch: number;
	segments: { n: number; epoch: number; count: number; firstId: string; lastId: string }[];
	/** Every segment's messages, oldest first. */
	messages: ChatMessage[];
	ids: { id: string; author: string }[];
	epochs: { epoch: number; stateVector: Map<number, number> }[];
}

function history(dataDir: string, roomId: string): History {
	return readServerDb(dataDir, (db) => {
		const room = db
			.prepare<[string], { epoch: number }>('SELECT epoch FROM rooms WHERE id = ?')
			.get(roomId);
		const segments = db
			.prepare<
				[string],
				{ n: number; epoch: number; count: number; first_id: string; last_id: string; data: Buffer }
			>(
				'SELECT n, epoch, count, first_id, last_id, data FROM room_segments WHERE room_id = ? ORDER BY n'
			)
			.all(roomId);
		const ids = db
			.prepare<[string], { id: string; author: string }>(
				'SELECT id, author FROM room_message_ids WHERE room_id = ?'
			)
			.all(roomId);
		const epochs = db
			.prepare<[string], { epoch: number; state_vector: Buffer }>(
				'SELECT epoch, state_vector FROM room_epochs WHERE room_id = ? ORDER BY epoch'
			)
			.all(roomId);
		return {
			epoch: room?.epoch ?? -1,
			segments: segments.map((row) => ({
				n: row.n,
				epoch: row.epoch,
				count: row.count,
				firstId: row.first_id,
				lastId: row.last_id
			})),
			messages: segments.flatMap(
				(row) => JSON.parse(gunzipSync(row.data).toString('utf8')) as ChatMessage[]
			),
			ids,
			epochs: epochs.map((row) => ({
				epoch: row.epoch,
				stateVector: Y.decodeStateVector(new Uint8Array(row.state_vector))
			}))
		};
	});
}

/** The status and JSON body of an upgrade the server refuses before it happens. */
function refusedUpgrade(
	server: ServerHandle,
	path: string,
	cookie: string
): Promise<{ status: number; body: unknown }> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${path}`, {
			headers: { cookie },
			origin: server.url
		});
		ws.on('unexpected-response', (_request, response) => {
			let text = '';
			response.on('data', (chunk: Buffer) => (text += chunk.toString()));
			response.on('end', () => {
				ws.terminate();
				resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown });
			});
		});
		ws.on('open', () => {
			ws.close();
			reject(new Error(`upgrade to ${path} was accepted`));
		});
		ws.on('error', () => undefined);
	});
}

interface SearchResult {
	messageId: string;
	text: string;
}

/** Search indexing runs off the hot path: poll until the results satisfy `expected`. */
async function searchUntil(
	user: ApiClient,
	q: string,
	expected: (results: SearchResult[]) => boolean
): Promise<SearchResult[]> {
	let last: SearchResult[] = [];
	await waitFor(`search "${q}" to match`, async () => {
		const response = await user.get<{ results: SearchResult[] }>(
			`/api/search?q=${encodeURIComponent(q)}`
		);
		last = response.body.results;
		return response.status === 200 && expected(last);
	});
	return last;
}

/** Sends `count` messages and waits until the server stored them all. */
async function sendMany(client: SyncClient, count: number, text: (i: number) => string) {
	const sent: ChatMessage[] = [];
	for (let i = 0; i < count; i++) sent.push(client.send(text(i)));
	await client.waitForStored(10_000);
	return sent;
}

// Each test's providers go with it (docs passed in stay: a replica outlives its providers).
afterEach(() => {
	for (const client of clients.splice(0)) client.destroy();
});

describe('sealing on one instance', () => {
	let server: ServerHandle;
	const handles: ServerHandle[] = [];
	let alice: User;
	let bob: User;
	let roomId: string;
	/** Bob's replica of epoch 0, kept after the seal (a stock client that never moves on). */
	const bobOld = new Y.Doc();
	let first: ChatMessage;
	let sealedIds: string[];

	beforeAll(async () => {
		server = await startServer({ env: ENV });
		handles.push(server);
		[alice, bob] = await Promise.all([signingClient(server.url), signingClient(server.url)]);
		roomId = await createPrivateRoom(alice, 'segments', [bob]);
	}, 30_000);

	afterAll(async () => {
		// The first handle owns the temp data dir; a restarted one reuses it.
		for (const handle of handles) await handle.dispose();
	});

	it('seals when the head reaches the threshold: every socket closes with 4409, SQLite holds the history', async () => {
		const a = await synced(connectAt(alice, server, roomId, 0));
		const b = await synced(connectAt(bob, server, roomId, undefined, bobOld));
		const sent = await sendMany(a, SEAL_AT - 1, (i) => `sealed ${i} quasar${i}`);
		first = sent[0] as ChatMessage;
		a.doc.getMap('changes').set(first.id, { text: 'sealed 0 nebula', ts: Date.now() });
		await a.waitForStored();
		await b.waitFor(() => b.messages().length === SEAL_AT - 1, 5_000, 'bob to hold them');
		b.doc.getMap('reactions').set(`${first.id}|👍|${bob.userId}`, Date.now());
		b.doc.getMap('reads').set(bob.userId, { upTo: first.id, ts: Date.now() });
		await b.waitForStored();
		expect(history(server.dataDir, roomId).epoch).toBe(0);
		expect(a.closes).toEqual([]);
		// Indexed before the seal (as a room is, 100 ms after its commits): the new head must then
		// tell the index where its carried edits live, or a later edit could not be placed.
		await searchUntil(alice, `quasar${SEAL_AT - 2}`, (results) => results.length === 1);

		const last = b.send('the one that fills the head');
		await closedWith(b, EPOCH_CHANGED);
		await closedWith(a, EPOCH_CHANGED);

		const sealed = history(server.dataDir, roomId);
		const order = b.messages();
		expect(order).toHaveLength(SEAL_AT);
		sealedIds = order.map((message) => message.id);
		expect(sealed.epoch).toBe(1);
		expect(sealed.segments).toEqual([
			{ n: 0, epoch: 0, count: SEAL_AT, firstId: first.id, lastId: last.id }
		]);
		expect(sealed.messages).toEqual(order);
		expect(new Map(sealed.ids.map(({ id, author }) => [id, author]))).toEqual(
			new Map(order.map((message) => [message.id, message.author]))
		);
		// The sealed epoch's final state vector is everything the server had: Bob's replica's.
		expect(sealed.epochs).toEqual([
			{ epoch: 0, stateVector: Y.decodeStateVector(Y.encodeStateVector(bobOld)) }
		]);
		expect(await readMetric(server, 'parley_room_seals_total')).toBe(1);
	});

	it('serves the small head to a client at the new epoch, with edits, reactions and reads carried', async () => {
		const c = await synced(connectAt(alice, server, roomId, 1));
		expect(c.messages()).toEqual([]);
		expect(c.doc.getMap('changes').get(first.id)).toMatchObject({ text: 'sealed 0 nebula' });
		expect([...c.doc.getMap('reactions').keys()]).toEqual([`${first.id}|👍|${bob.userId}`]);
		expect(c.doc.getMap('reads').get(bob.userId)).toMatchObject({ upTo: first.id });

		// The head goes on: a new message, and an edit of a sealed message over the carried one.
		c.send('first of epoch 1');
		c.doc.getMap('changes').set(first.id, { text: 'sealed 0 pulsar', ts: Date.now() });
		await c.waitForStored();
		expect(c.denied).toEqual([]);
		const head = storedRoomDoc(server.dataDir, roomId);
		expect(
			head
				.getArray<ChatMessage>('messages')
				.toArray()
				.map((m) => m.text)
		).toEqual(['first of epoch 1']);
		expect(head.getMap('changes').get(first.id)).toMatchObject({ text: 'sealed 0 pulsar' });
	});

	it('closes a socket of the old epoch with 4409 and refuses a malformed epoch with 400', async () => {
		const old = connectAt(alice, server, roomId, 0);
		await closedWith(old, EPOCH_CHANGED);
		expect(old.messages()).toEqual([]);
		for (const bad of ['abc', '-1', '1.5', '', '1e3', '0x1']) {
			const refused = await refusedUpgrade(
				server,
				`/sync/${roomId}?epoch=${bad}`,
				alice.cookie ?? ''
			);
			expect(refused, `epoch=${bad}`).toEqual({
				status: 400,
				body: { error: 'epoch must be a non-negative integer' }
			});
		}
		const twice = await refusedUpgrade(
			server,
			`/sync/${roomId}?epoch=1&epoch=1`,
			alice.cookie ?? ''
		);
		expect(twice.status).toBe(400);
	});

	it('refuses a stock client re-sending the sealed epoch (rule 2) and leaves the head unchanged', async () => {
		const before = storedLog(server.dataDir, roomId);
		const headBefore = Y.encodeStateAsUpdate(storedRoomDoc(server.dataDir, roomId));
		const stock = connectAt(bob, server, roomId, undefined, bobOld);
		await stock.waitFor(
			() => stock.denied.some((reason) => reason.startsWith('rule 2: ')),
			10_000,
			'a rule 2 refusal'
		);
		expect(storedLog(server.dataDir, roomId)).toEqual(before);
		expect(Y.encodeStateAsUpdate(storedRoomDoc(server.dataDir, roomId))).toEqual(headBefore);
	});

	it('keeps sealed messages in search, once, and follows an edit made in the new head', async () => {
		const found = await searchUntil(alice, 'quasar5', (results) => results.length > 0);
		expect(found.map((result) => result.messageId)).toEqual([sealedIds[5]]);
		const edited = await searchUntil(alice, 'pulsar', (results) => results.length > 0);
		expect(edited.map((result) => [result.messageId, result.text])).toEqual([
			[first.id, 'sealed 0 pulsar']
		]);
		expect(await searchUntil(alice, 'nebula', () => true)).toEqual([]);
		const all = await searchUntil(alice, 'sealed', () => true);
		expect(all).toHaveLength(SEAL_AT - 1);
		expect(new Set(all.map((result) => result.messageId)).size).toBe(SEAL_AT - 1);
	});

	it('keeps the head and the segments through a kill -9 right after the seal', async () => {
		const room = await createPrivateRoom(alice, 'crash', [bob]);
		const a = await synced(connectAt(alice, server, room, 0));
		const sent = await sendMany(a, SEAL_AT - 1, (i) => `crash ${i}`);
		const edited = sent[3] as ChatMessage;
		a.doc.getMap('changes').set(edited.id, { text: 'crash 3, edited', ts: Date.now() });
		await a.waitForStored();
		a.send('the last one');
		await closedWith(a, EPOCH_CHANGED);
		await server.kill();
		server = await server.restart();
		handles.unshift(server);

		const sealed = history(server.dataDir, room);
		expect(sealed.epoch).toBe(1);
		expect(sealed.segments.map((segment) => segment.count)).toEqual([SEAL_AT]);
		expect(sealed.messages.map((message) => message.id)).toEqual(
			a.messages().map((message) => message.id)
		);
		expect(sealed.ids).toHaveLength(SEAL_AT);
		const c = await synced(connectAt(alice, server, room, 1));
		expect(c.messages()).toEqual([]);
		expect(c.doc.getMap('changes').get(edited.id)).toMatchObject({ text: 'crash 3, edited' });
		await closedWith(connectAt(alice, server, room, 0), EPOCH_CHANGED);
	});
});

describe('sealing with two instances behind one Redis', () => {
	let redis: RedisHandle;
	let dataDir: string;
	let a: ServerHandle;
	let b: ServerHandle;
	let alice: User;
	let bob: User;

	beforeAll(async () => {
		redis = await startRedis();
		dataDir = makeTempDir('parley-segments-cluster-');
		// One after the other: the first creates the schema, the second finds it.
		a = await startServer({ dataDir, env: { ...ENV, REDIS_URL: redis.url } });
		b = await startServer({ dataDir, env: { ...ENV, REDIS_URL: redis.url } });
		alice = await signingClient(a.url);
		bob = await signingClient(a.url);
	}, 60_000);

	afterAll(async () => {
		await Promise.all([a?.kill(), b?.kill()]);
		await redis?.stop();
	}, 30_000);

	it('a seal on one instance closes the other’s sockets with 4409 and it serves the new head', async () => {
		const roomId = await createPrivateRoom(alice, 'cluster segments', [bob]);
		const onA = await synced(connectAt(alice, a, roomId, 0));
		const onB = await synced(connectAt(bob, b, roomId, 0));
		const sent = await sendMany(onA, SEAL_AT - 1, (i) => `cluster ${i}`);
		onA.doc.getMap('changes').set(sent[0]?.id ?? '', { text: 'cluster 0, edited', ts: Date.now() });
		await onA.waitForStored();
		await onB.waitFor(() => onB.messages().length === SEAL_AT - 1, 10_000, 'B to hold them');

		onA.send('the last one');
		await closedWith(onA, EPOCH_CHANGED);
		await closedWith(onB, EPOCH_CHANGED);
		expect(history(dataDir, roomId)).toMatchObject({ epoch: 1 });
		expect(await readMetric(a, 'parley_room_seals_total')).toBe(1);
		expect(await readMetric(b, 'parley_room_seals_total')).toBe(0);

		const bobNext = await synced(connectAt(bob, b, roomId, 1));
		expect(bobNext.messages()).toEqual([]);
		expect(bobNext.doc.getMap('changes').get(sent[0]?.id ?? '')).toMatchObject({
			text: 'cluster 0, edited'
		});
		const aliceNext = await synced(connectAt(alice, a, roomId, 1));
		const hello = bobNext.send('hello from B in epoch 1');
		await aliceNext.waitFor(
			() => aliceNext.messages().some((message) => message.id === hello.id),
			10_000,
			'B → A in the new head'
		);
		await bobNext.waitForStored();
		await closedWith(connectAt(alice, b, roomId, 0), EPOCH_CHANGED);
	});
});
