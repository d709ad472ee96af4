/**
 * Scaled out: two real Parley processes on one shared DATA_DIR and one real redis-server,
 * stock y-websocket clients on both. Every client must end with the same messages, in the
 * same order, each exactly once — through a Redis outage, a kill -9 and a SIGTERM drain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createPrivateRoom, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { openSummaries } from '../support/summary-client';
import { startRedis, type RedisHandle } from '../support/redis';
import { makeTempDir, startServer, type ServerHandle, readMetric } from '../support/server';
import { storedMessageIds } from '../support/stored';
import { connectAs, type SyncClient } from '../support/sync-client';
import { waitFor } from '../support/wait';

/** One person's replica: the doc outlives the providers it is synced through. */
interface Participant {
	readonly user: User;
	readonly doc: Y.Doc;
	client: SyncClient;
	server: ServerHandle;
}

const CONVERGE_MS = 20_000;

let redis: RedisHandle;
let dataDir: string;
let a: ServerHandle;
let b: ServerHandle;
let alice: User;
let bob: User;
const participants: Participant[] = [];

function newRoom(): Promise<string> {
	return createPrivateRoom(alice, `cluster ${Math.random().toString(36).slice(2, 7)}`, [bob]);
}

function connect(user: User, server: ServerHandle, roomId: string, doc: Y.Doc): SyncClient {
	return connectAs(user, server, roomId, doc);
}

async function join(user: User, server: ServerHandle, roomId: string): Promise<Participant> {
	const doc = new Y.Doc();
	const participant: Participant = {
		user,
		doc,
		server,
		client: connect(user, server, roomId, doc)
	};
	participants.push(participant);
	await participant.client.waitFor(() => participant.client.provider.synced, 10_000, 'synced');
	return participant;
}

/** Alice and Bob each on both instances, joined one after the other, each synced. */
async function joinBothOnBoth(roomId: string): Promise<Participant[]> {
	const group: Participant[] = [];
	for (const server of [a, b]) {
		for (const user of [alice, bob]) group.push(await join(user, server, roomId));
	}
	return group;
}

/** Points a participant's replica at another instance, as a load balancer would. */
function moveTo(participant: Participant, server: ServerHandle, roomId: string): void {
	participant.client.destroy(); // keeps the doc: it was passed in
	participant.server = server;
	participant.client = connect(participant.user, server, roomId, participant.doc);
}

function ids(participant: Participant): string[] {
	return participant.client.messages().map((message) => message.id);
}

/** Every participant sends one message every `intervalMs` until stopped. */
function startStream(
	group: readonly Participant[],
	intervalMs: number
): { sent: Set<string>; stop(): void } {
	const sent = new Set<string>();
	let n = 0;
	const timer = setInterval(() => {
		for (const participant of group) {
			sent.add(participant.client.send(`${participant.user.username} #${n}`).id);
		}
		n++;
	}, intervalMs);
	return { sent, stop: () => clearInterval(timer) };
}

function holdsAll(participant: Participant, sent: ReadonlySet<string>): boolean {
	const held = new Set(ids(participant));
	for (const id of sent) if (!held.has(id)) return false;
	return true;
}

/** Everyone holds exactly the sent messages, each once, in one and the same order. */
async function expectConverged(group: readonly Participant[], sent: Set<string>): Promise<void> {
	for (const participant of group) {
		await participant.client.waitFor(
			() => holdsAll(participant, sent),
			CONVERGE_MS,
			`${participant.user.username} on :${participant.server.port} to hold all ${sent.size} messages`
		);
	}
	const reference = ids(group[0]!);
	expect(reference).toHaveLength(sent.size);
	expect(new Set(reference)).toEqual(sent);
	for (const participant of group) expect(ids(participant)).toEqual(reference);
}

function startInstance(): Promise<ServerHandle> {
	return startServer({ dataDir, env: { REDIS_URL: redis.url } });
}

beforeAll(async () => {
	redis = await startRedis();
	dataDir = makeTempDir('parley-cluster-');
	// One after the other: the first creates the schema, the second finds it.
	a = await startInstance();
	b = await startInstance();
	alice = await signingClient(a.url);
	bob = await signingClient(a.url);
}, 60_000);

afterAll(async () => {
	for (const participant of participants) {
		participant.client.destroy();
		participant.doc.destroy();
	}
	await Promise.all([a?.kill(), b?.kill()]);
	await redis?.stop();
}, 30_000);

describe('two instances behind one Redis', () => {
	it('answers health and readiness on every instance, and metrics on its metrics port', async () => {
		for (const server of [a, b]) {
			const health = await fetch(`${server.url}/healthz`);
			expect(health.status).toBe(200);
			expect(await health.json()).toEqual({ status: 'ok' });
			expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
			const metrics = await (await fetch(server.metricsUrl)).text();
			expect(metrics).toContain('# TYPE parley_bus_published_total counter');
			expect(metrics).toContain('process_cpu_user_seconds_total');
			// Not on the port the balancer exposes.
			expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
		}
	});

	it('carries messages and presence both ways between clients on different instances', async () => {
		const roomId = await newRoom();
		const onA = await join(alice, a, roomId);
		const onB = await join(bob, b, roomId);

		const hello = onA.client.send('hello from A');
		await onB.client.waitFor(() => ids(onB).includes(hello.id), 5_000, 'A → B');
		const answer = onB.client.send('hello from B');
		await onA.client.waitFor(() => ids(onA).includes(answer.id), 5_000, 'B → A');
		expect(onA.client.messages().map((m) => m.text)).toEqual(['hello from A', 'hello from B']);
		expect(ids(onB)).toEqual(ids(onA));

		onA.client.provider.awareness.setLocalStateField('typing', true);
		await onB.client.waitFor(
			() =>
				[...onB.client.provider.awareness.getStates().values()].some(
					(state) => state.user?.id === alice.userId && state.typing === true
				),
			5_000,
			"alice's presence on B"
		);
		expect(await readMetric(a, 'parley_bus_published_total')).toBeGreaterThan(0);
	});

	it('shows a DM’s person online and offline across instances within one bus hop', async () => {
		const dm = await bob.post<{ id: string }>('/api/dms', { username: alice.username });
		expect(dm.status).toBeLessThan(300);
		const bobOnB = openSummaries(b, bob.cookie);
		try {
			await bobOnB.waitFor(() => bobOnB.presence.get(alice.userId) === false, 'alice offline');
			const aliceOnA = openSummaries(a, alice.cookie);
			await bobOnB.waitFor(() => bobOnB.presence.get(alice.userId) === true, 'alice online on A');
			aliceOnA.close();
			await bobOnB.waitFor(() => bobOnB.presence.get(alice.userId) === false, 'alice gone from A');
		} finally {
			bobOnB.close();
		}
	});

	it('converges on every client when Redis is down for 3 seconds mid-stream', async () => {
		const roomId = await newRoom();
		const group = await joinBothOnBoth(roomId);
		const droppedBefore =
			(await readMetric(a, 'parley_bus_dropped_total')) +
			(await readMetric(b, 'parley_bus_dropped_total'));
		const stream = startStream(group, 100);
		await waitFor('the stream to flow', () => stream.sent.size >= 20);
		await redis.kill();
		try {
			await new Promise((resolve) => setTimeout(resolve, 3_000)); // the outage itself
			// Each instance keeps serving its own clients: a bus outage takes none out of the balancer.
			for (const server of [a, b]) expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
		} finally {
			// Quiet from here: what crossed no bus can only arrive by the resync after reconnecting
			// (no later message reveals a gap in seq).
			stream.stop();
			await redis.restart();
		}
		await expectConverged(group, stream.sent);

		// And the bus carries the live stream again.
		const after = startStream(group, 100);
		await waitFor('the stream to flow again', () => after.sent.size >= 20);
		after.stop();
		const all = new Set([...stream.sent, ...after.sent]);
		await expectConverged(group, all);
		expect(new Set(storedMessageIds(dataDir, roomId))).toEqual(all);
		// The outage really cut the bus: messages were dropped and caught up from SQLite.
		const droppedAfter =
			(await readMetric(a, 'parley_bus_dropped_total')) +
			(await readMetric(b, 'parley_bus_dropped_total'));
		expect(droppedAfter).toBeGreaterThan(droppedBefore);
	});

	it('loses nothing when an instance is killed with -9 mid-stream and its clients move over', async () => {
		const roomId = await newRoom();
		const group = await joinBothOnBoth(roomId);
		const stream = startStream(group, 100);
		await waitFor('the stream to flow', () => stream.sent.size >= 20);

		await a.kill();
		try {
			// Typed while the instance was gone: Yjs sync must send these on reconnection.
			await waitFor('messages sent while disconnected', () => stream.sent.size >= 40);
			for (const participant of group) if (participant.server === a) moveTo(participant, b, roomId);
			await waitFor('the stream to flow again', () => stream.sent.size >= 60);
			stream.stop();

			await expectConverged(group, stream.sent);
			await Promise.all(group.map((participant) => participant.client.waitForStored(CONVERGE_MS)));
			expect(new Set(storedMessageIds(dataDir, roomId))).toEqual(stream.sent);
		} finally {
			stream.stop();
			a = await a.restart();
		}
	});

	it('drains on SIGTERM: clients get 1012, reconnect to the other instance and lose nothing', async () => {
		const roomId = await newRoom();
		const group = await joinBothOnBoth(roomId);
		const stream = startStream(group, 100);
		await waitFor('the stream to flow', () => stream.sent.size >= 20);

		const leaving = group.filter((participant) => participant.server === b);
		const exitCode = await b.stop();
		expect(exitCode).toBe(0);
		for (const participant of leaving) {
			await participant.client.waitFor(
				() => participant.client.closes.some((close) => close.code === 1012),
				5_000,
				'close code 1012'
			);
			moveTo(participant, a, roomId);
		}
		const sentAtMove = stream.sent.size;
		await waitFor('the stream to flow again', () => stream.sent.size >= sentAtMove + 20);
		stream.stop();

		await expectConverged(group, stream.sent);
		await Promise.all(group.map((participant) => participant.client.waitForStored(CONVERGE_MS)));
		expect(new Set(storedMessageIds(dataDir, roomId))).toEqual(stream.sent);

		b = await b.restart();
	});
});
