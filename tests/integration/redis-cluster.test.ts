/**
 * The bus on a Redis Cluster: two real Parley processes (one shared DATA_DIR) on a real
 * three-master Redis Cluster, stock y-websocket clients on both, in rooms whose channels hash
 * to slots of different masters. Every client must end with the same messages, in the same
 * order, each exactly once — also after one master was killed with -9 for 3 seconds.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CHANNEL_PREFIX, createRedisBus } from '../../sync-server/bus-redis';
import { clusterSlot } from '../../sync-server/cluster-slot';
import { createPrivateRoom, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';
import {
	freePort,
	makeTempDir,
	startServer,
	type ServerHandle,
	readMetric
} from '../support/server';
import { storedMessageIds } from '../support/stored';
import { connectAs, type SyncClient } from '../support/sync-client';
import { waitFor } from '../support/wait';

const CONVERGE_MS = 30_000;

interface Participant {
	readonly user: User;
	readonly doc: Y.Doc;
	readonly client: SyncClient;
	readonly server: ServerHandle;
}

let cluster: RedisClusterHandle;
let dataDir: string;
let a: ServerHandle;
let b: ServerHandle;
let alice: User;
let bob: User;
/** One room per master: rooms[i]'s channel lives on master i. */
let rooms: string[];
const participants: Participant[] = [];
const others: ServerHandle[] = [];

async function join(user: User, server: ServerHandle, roomId: string): Promise<Participant> {
	const doc = new Y.Doc();
	const participant = { user, doc, server, client: connectAs(user, server, roomId, doc) };
	participants.push(participant);
	await participant.client.waitFor(() => participant.client.provider.synced, 10_000, 'synced');
	return participant;
}

function ids(participant: Participant): string[] {
	return participant.client.messages().map((message) => message.id);
}

/** Everyone holds exactly the sent messages, each once, in one and the same order. */
async function expectConverged(group: readonly Participant[], sent: Set<string>): Promise<void> {
	for (const participant of group) {
		await participant.client.waitFor(
			() => {
				const held = new Set(ids(participant));
				return [...sent].every((id) => held.has(id));
			},
			CONVERGE_MS,
			`${participant.user.username} on :${participant.server.port} to hold all ${sent.size}`
		);
	}
	const reference = ids(group[0]!);
	expect(new Set(reference)).toEqual(sent);
	expect(reference).toHaveLength(sent.size);
	for (const participant of group) expect(ids(participant)).toEqual(reference);
}

/** Every participant sends one message every `intervalMs` until stopped. */
function startStream(group: readonly Participant[], intervalMs: number) {
	const sent = new Map<Participant, Set<string>>(group.map((p) => [p, new Set<string>()]));
	let n = 0;
	const timer = setInterval(() => {
		for (const participant of group) {
			sent.get(participant)!.add(participant.client.send(`${participant.user.username} #${n}`).id);
		}
		n++;
	}, intervalMs);
	return {
		count: () => [...sent.values()].reduce((sum, set) => sum + set.size, 0),
		/** What was sent in the room `group` members share with `participant`. */
		sentIn(roomGroup: readonly Participant[]): Set<string> {
			return new Set(roomGroup.flatMap((p) => [...(sent.get(p) ?? [])]));
		},
		stop: () => clearInterval(timer)
	};
}

beforeAll(async () => {
	cluster = await startRedisCluster();
	dataDir = makeTempDir('parley-redis-cluster-');
	const env = { REDIS_CLUSTER_NODES: cluster.nodes, ROOMS_PER_HOUR: '100' };
	// Generous: the machine running the suite may be loaded.
	a = await startServer({ dataDir, env, startTimeoutMs: 60_000 });
	b = await startServer({ dataDir, env, startTimeoutMs: 60_000 });
	await waitFor('both instances ready', async () => {
		const answers = await Promise.all([a, b].map((s) => fetch(`${s.url}/readyz`)));
		return answers.every((answer) => answer.status === 200);
	});
	alice = await signingClient(a.url);
	bob = await signingClient(a.url);
	// Rooms until every master carries one (ids are random: their slots spread).
	const byMaster = new Map<number, string>();
	for (let tries = 0; byMaster.size < 3 && tries < 60; tries++) {
		const roomId = await createPrivateRoom(alice, `shard ${tries}`, [bob]);
		const master = await cluster.masterOfSlot(clusterSlot(CHANNEL_PREFIX + roomId));
		if (!byMaster.has(master)) byMaster.set(master, roomId);
	}
	rooms = [0, 1, 2].map((master) => byMaster.get(master) ?? '');
	expect(rooms.every(Boolean)).toBe(true);
}, 180_000);

afterAll(async () => {
	for (const participant of participants) {
		participant.client.destroy();
		participant.doc.destroy();
	}
	await Promise.all([a?.kill(), b?.kill(), ...others.map((other) => other.dispose())]);
	await cluster?.stop();
}, 30_000);

describe('two instances on a three-master Redis Cluster', () => {
	it('computes the slot of a channel as the cluster does', async () => {
		const probe = new Redis({ port: cluster.ports[0], host: '127.0.0.1' });
		try {
			for (const roomId of rooms) {
				const channel = CHANNEL_PREFIX + roomId;
				expect(clusterSlot(channel)).toBe(Number(await probe.cluster('KEYSLOT', channel)));
			}
		} finally {
			probe.disconnect();
		}
	});

	it('carries a control message (a logout) to every instance, whichever node each listens on', async () => {
		const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
		const logger = pino({ level: 'silent' });
		const buses = ['one', 'two', 'three'].map((instanceId) =>
			createRedisBus({ redis: { kind: 'cluster', nodes }, logger, instanceId })
		);
		try {
			await Promise.all(buses.map((bus) => bus.ready));
			const heard = buses.map(() => [] as string[]);
			buses.forEach((bus, i) =>
				bus.onControl((message) => {
					if (message.kind === 'session-ended') heard[i]!.push(message.sessionId);
				})
			);
			buses[0]!.publish({ kind: 'session-ended', sessionId: 'session-1' });
			await waitFor('the logout on the other instances', () =>
				heard.slice(1).every((got) => got.length === 1)
			);
			expect(heard).toEqual([[], ['session-1'], ['session-1']]);
		} finally {
			await Promise.all(buses.map((bus) => bus.close()));
		}
	});

	it('carries messages both ways in rooms on every shard, each room only on its shard', async () => {
		for (const [master, roomId] of rooms.entries()) {
			const onA = await join(alice, a, roomId);
			const onB = await join(bob, b, roomId);
			const sent = new Set([onA.client.send('hello from A').id, onB.client.send('hi from B').id]);
			await expectConverged([onA, onB], sent);
			// The room's channel is subscribed on its master only (sharded pub/sub). An instance
			// subscribes when the room loads and Redis answers later; the messages may converge
			// before (through the other instance's subscription and the shared store), so the
			// count is awaited, then must hold: both on the master, none elsewhere.
			const shardCounts = () =>
				Promise.all(
					cluster.ports.map(async (port) => {
						const node = new Redis({ port, host: '127.0.0.1' });
						try {
							const reply = (await node.call('PUBSUB', 'SHARDNUMSUB', CHANNEL_PREFIX + roomId)) as [
								string,
								number
							];
							return Number(reply[1]);
						} finally {
							node.disconnect();
						}
					})
				);
			const expected = (counts: number[]) =>
				counts.map((count, port) => (port === master ? count >= 2 : count === 0));
			await waitFor(
				'both instances subscribed on the room’s master',
				async () => expected(await shardCounts()).every(Boolean),
				10_000
			);
			expect(expected(await shardCounts())).toEqual([true, true, true]);
		}
	});

	it('loses nothing acknowledged and converges in every room when a master is killed for 3 seconds', async () => {
		const groups: Participant[][] = [];
		for (const roomId of rooms)
			groups.push([await join(alice, a, roomId), await join(bob, b, roomId)]);
		const everyone = groups.flat();
		// What the rooms held before (the test above wrote in them).
		const before = groups.map((group) => new Set(ids(group[0]!)));
		const droppedBefore =
			(await readMetric(a, 'parley_bus_dropped_total')) +
			(await readMetric(b, 'parley_bus_dropped_total'));
		const stream = startStream(everyone, 150);
		await waitFor('the stream to flow', () => stream.count() >= 30, 20_000);
		await cluster.kill(0);
		try {
			await new Promise((resolve) => setTimeout(resolve, 3_000)); // the outage itself
			for (const server of [a, b]) expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
		} finally {
			// Quiet from here: what crossed no bus can only arrive by the resync after the shard
			// is back (no later message reveals a gap in seq).
			stream.stop();
			await cluster.restart(0);
		}
		for (const [i, group] of groups.entries()) {
			const sent = new Set([...before[i]!, ...stream.sentIn(group)]);
			await expectConverged(group, sent);
			// Acknowledged means stored: every message is in the room log.
			for (const participant of group) await participant.client.waitForStored();
			expect(new Set(storedMessageIds(dataDir, rooms[i]!))).toEqual(sent);
		}
		const droppedAfter =
			(await readMetric(a, 'parley_bus_dropped_total')) +
			(await readMetric(b, 'parley_bus_dropped_total'));
		expect(droppedAfter).toBeGreaterThan(droppedBefore);

		// And the shard carries the live stream again.
		const after = startStream(groups[0]!, 100);
		await waitFor('the stream to flow again', () => after.count() >= 10, 20_000);
		after.stop();
		await expectConverged(
			groups[0]!,
			new Set([...before[0]!, ...stream.sentIn(groups[0]!), ...after.sentIn(groups[0]!)])
		);
	}, 120_000);

	it('refuses a malformed REDIS_CLUSTER_NODES at start, naming it, with a non-zero exit', async () => {
		const started = startServer({ env: { REDIS_CLUSTER_NODES: '127.0.0.1:6379,not-a-node' } });
		await expect(started).rejects.toThrow(/exited \(1\)[\s\S]*REDIS_CLUSTER_NODES/);
		const both = startServer({
			env: { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_URL: 'redis://127.0.0.1:1' }
		});
		await expect(both).rejects.toThrow(/exited \(1\)[\s\S]*REDIS_CLUSTER_NODES/);
	});

	it('stays unready while a listed node does not answer, and says which one', async () => {
		const missing = `127.0.0.1:${await freePort()}`;
		const server = await startServer({
			dataDir,
			env: { REDIS_CLUSTER_NODES: `${cluster.nodes},${missing}` },
			startTimeoutMs: 60_000
		});
		others.push(server);
		await waitFor('the error naming the missing node', () =>
			server.output.some((line) => line.includes('REDIS_CLUSTER_NODES') && line.includes(missing))
		);
		expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
	});
});
