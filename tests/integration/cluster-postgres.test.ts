/**
 * Past one host (issue 14): three real Parley processes, each with its own DATA_DIR (nothing
 * shared on disk), one real PostgreSQL (DATABASE_URL: records and files' bytes) and a real
 * three-master Redis Cluster (REDIS_CLUSTER_NODES). Clients on all three instances chat in
 * several rooms through a kill -9 of an instance, a 3 s PostgreSQL outage and a 3 s outage of
 * a Redis master; then a fresh client anywhere loads every message once, in the same order; a
 * file uploaded through one instance downloads from another; a member removed through one
 * instance is disconnected on all three.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../src/lib/protocol/wire';
import { ApiClient, createPrivateRoom, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { startPostgres, type PostgresHandle } from '../support/postgres';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';
import { startServer, type ServerHandle } from '../support/server';
import { connectAs, type SyncClient } from '../support/sync-client';
import { waitFor } from '../support/wait';

/** One person's replica in one room: the doc outlives the instances it is synced through. */
interface Participant {
	readonly user: User;
	readonly roomId: string;
	readonly doc: Y.Doc;
	client: SyncClient;
	server: number;
}

const ROOMS = 3;
/** Generous: a loaded two-core machine runs PostgreSQL, three Redis and three instances. */
const CONVERGE_MS = 45_000;
const OUTAGE_MS = 3_000;

let pg: PostgresHandle;
let cluster: RedisClusterHandle;
let databaseUrl: string;
const servers: ServerHandle[] = [];
let alice: User;
let bob: User;
let carol: User;
const rooms: string[] = [];
const participants: Participant[] = [];
const extraClients: SyncClient[] = [];

function startInstance(): Promise<ServerHandle> {
	return startServer({
		databaseUrl,
		env: { REDIS_CLUSTER_NODES: cluster.nodes, ROOMS_PER_HOUR: '100' },
		startTimeoutMs: 60_000
	});
}

function join(user: User, server: number, roomId: string): Participant {
	const doc = new Y.Doc();
	const participant: Participant = {
		user,
		roomId,
		doc,
		server,
		client: connectAs(user, servers[server]!, roomId, doc)
	};
	participants.push(participant);
	return participant;
}

/** Points a participant's replica at another instance, as a load balancer would. */
function moveTo(participant: Participant, server: number): void {
	participant.client.destroy(); // keeps the doc: it was passed in
	participant.server = server;
	participant.client = connectAs(
		participant.user,
		servers[server]!,
		participant.roomId,
		participant.doc
	);
}

function ids(client: SyncClient): string[] {
	return client.messages().map((message) => message.id);
}

/** A message sent, and the clock its sender's STORED receipt must reach to acknowledge it. */
interface Sent {
	readonly id: string;
	readonly participant: Participant;
	readonly clock: number;
}

/** Every participant sends one message every `intervalMs` until stopped; ids sent per room. */
function startStream(intervalMs: number): {
	sent: Map<string, Set<string>>;
	log: Sent[];
	stop(): void;
} {
	const sent = new Map(rooms.map((roomId) => [roomId, new Set<string>()]));
	const log: Sent[] = [];
	let n = 0;
	const timer = setInterval(() => {
		for (const participant of participants) {
			const message = participant.client.send(`${participant.user.username} #${n}`);
			sent.get(participant.roomId)!.add(message.id);
			const { doc } = participant;
			log.push({ id: message.id, participant, clock: Y.getState(doc.store, doc.clientID) });
		}
		n++;
	}, intervalMs);
	return { sent, log, stop: () => clearInterval(timer) };
}

function total(sent: Map<string, Set<string>>): number {
	return [...sent.values()].reduce((sum, set) => sum + set.size, 0);
}

/** Ids covered by a STORED receipt right now (acknowledged: they must survive anything). */
function acknowledged(log: readonly Sent[]): Set<string> {
	return new Set(
		log
			.filter(({ participant, clock }) => {
				const receipt = participant.client.stored.get(participant.doc.clientID) ?? 0;
				return receipt >= clock;
			})
			.map(({ id }) => id)
	);
}

function holdsExactly(client: SyncClient, sent: ReadonlySet<string>): boolean {
	const held = ids(client);
	return held.length === sent.size && held.every((id) => sent.has(id));
}

/** Bytes through the HTTP API as a browser sends them: the body is the file. */
async function upload(user: User, server: ServerHandle, roomId: string, bytes: Uint8Array) {
	const response = await fetch(new URL(`/api/files?roomId=${roomId}`, server.url), {
		method: 'POST',
		headers: {
			cookie: user.cookie ?? '',
			origin: server.url,
			'content-type': 'application/octet-stream',
			'x-file-name': 'plan.bin'
		},
		body: new Uint8Array(bytes) // over its own ArrayBuffer: what fetch takes as a body
	});
	return { status: response.status, body: (await response.json()) as { id?: string } };
}

beforeAll(async () => {
	[pg, cluster] = await Promise.all([startPostgres(), startRedisCluster()]);
	databaseUrl = await pg.createDatabase();
	// One after the other: the first migrates the database, the others find it migrated.
	for (let i = 0; i < 3; i++) servers.push(await startInstance());
	alice = await signingClient(servers[0]!.url);
	bob = await signingClient(servers[1]!.url);
	carol = await signingClient(servers[2]!.url);
	for (let r = 0; r < ROOMS; r++) {
		rooms.push(await createPrivateRoom(alice, `cluster room ${r}`, [bob, carol]));
	}
}, 180_000);

afterAll(async () => {
	for (const client of [...participants.map((p) => p.client), ...extraClients]) client.destroy();
	await Promise.all(servers.map((server) => server.dispose()));
	await cluster?.stop();
	await pg?.dispose();
}, 60_000);

describe('three instances, one PostgreSQL, a three-master Redis Cluster', () => {
	it('keeps every message through an instance kill -9, a PostgreSQL and a Redis master outage', async () => {
		// Each user on a different instance in each room.
		const users = [alice, bob, carol];
		rooms.forEach((roomId, r) => users.forEach((user, u) => join(user, (u + r) % 3, roomId)));
		for (const participant of participants) {
			await participant.client.waitFor(
				() => participant.client.provider.synced,
				CONVERGE_MS,
				`${participant.user.username} synced`
			);
		}
		const stream = startStream(200);
		let ackedBeforeKill = new Set<string>();
		try {
			// Flowing, and stored: some STORED receipts came back (a loaded machine may take seconds).
			await waitFor(
				'the stream to flow and be acknowledged',
				() => total(stream.sent) >= 45 && acknowledged(stream.log).size > 0,
				CONVERGE_MS
			);

			// kill -9 instance 0; its clients reconnect through another (the balancer's job).
			ackedBeforeKill = acknowledged(stream.log);
			expect(ackedBeforeKill.size).toBeGreaterThan(0);
			await servers[0]!.kill();
			for (const participant of participants.filter((p) => p.server === 0)) moveTo(participant, 1);
			await waitFor(
				'the stream to flow after the kill',
				() => total(stream.sent) >= 90,
				CONVERGE_MS
			);

			// PostgreSQL down for 3 s: what is sent meanwhile stays pending, nothing is acknowledged.
			await pg.stop();
			let pendingDuringOutage: number;
			try {
				await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage itself
				pendingDuringOutage = participants.filter((p) => !p.client.isStored()).length;
			} finally {
				await pg.start();
			}
			expect(pendingDuringOutage).toBe(participants.length);

			// A Redis master down for 3 s.
			await cluster.kill(1);
			try {
				await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage itself
			} finally {
				await cluster.restart(1);
			}
			await waitFor(
				'the stream to flow after the outages',
				() => total(stream.sent) >= 200,
				CONVERGE_MS
			);
		} finally {
			stream.stop();
		}
		servers[0] = await servers[0]!.restart();

		// Everyone, everything acknowledged: each participant holds its room's messages, once.
		for (const participant of participants) {
			await participant.client.waitForStored(CONVERGE_MS);
			await participant.client.waitFor(
				() => holdsExactly(participant.client, stream.sent.get(participant.roomId)!),
				CONVERGE_MS,
				`${participant.user.username} on instance ${participant.server} to hold all of ${participant.roomId}`
			);
		}
		// A fresh client on each instance loads every message once, in one and the same order.
		const loaded = new Set<string>();
		for (const roomId of rooms) {
			const reference = ids(participants.find((p) => p.roomId === roomId)!.client);
			for (const server of servers) {
				const fresh = connectAs(carol, server, roomId);
				extraClients.push(fresh);
				await fresh.waitFor(() => fresh.provider.synced, CONVERGE_MS, 'a fresh client synced');
				expect(ids(fresh)).toEqual(reference);
				expect(new Set(ids(fresh))).toEqual(stream.sent.get(roomId));
				for (const id of ids(fresh)) loaded.add(id);
			}
			for (const participant of participants.filter((p) => p.roomId === roomId)) {
				expect(ids(participant.client)).toEqual(reference);
			}
		}
		expect([...ackedBeforeKill].filter((id) => !loaded.has(id))).toEqual([]);
	}, 240_000);

	it('serves a file uploaded through instance 1 from instance 3 (no shared disk)', async () => {
		const bytes = randomBytes(600 * 1024); // more than two 256 KiB chunks
		const uploaded = await upload(alice, servers[0]!, rooms[0]!, bytes);
		expect(uploaded.status).toBe(201);
		const response = await fetch(new URL(`/api/files/${uploaded.body.id}`, servers[2]!.url), {
			headers: { cookie: bob.cookie ?? '' }
		});
		expect(response.status).toBe(200);
		expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
	}, 60_000);

	it('disconnects a member removed through instance 2 on every instance', async () => {
		const roomId = rooms[1]!;
		const bobs = servers.map((server) => connectAs(bob, server, roomId));
		const carols = servers.map((server) => connectAs(carol, server, roomId));
		extraClients.push(...bobs, ...carols);
		for (const client of [...bobs, ...carols]) {
			await client.waitFor(() => client.provider.synced, CONVERGE_MS, 'synced');
		}
		const owner = new ApiClient(servers[1]!.url);
		owner.cookie = alice.cookie;
		expect((await owner.delete(`/api/rooms/${roomId}/members/${bob.userId}`)).status).toBe(204);
		for (const client of bobs) {
			await client.waitFor(() => client.closes.length > 0, CONVERGE_MS, 'bob’s socket to close');
			expect(client.closes[0]?.code).toBe(CloseCode.FORBIDDEN);
		}
		for (const client of carols) expect(client.closes).toEqual([]);
	}, 60_000);
});
