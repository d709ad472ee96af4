/**
 * The Redis bus against a real redis-server (spawned on a free port, never the shared 6379).
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
	CHANNEL_PREFIX,
	CONTROL_CHANNEL,
	createRedisBus,
	encodeEnvelope,
	type RedisBus
} from '../../sync-server/bus-redis';
import { createMetrics } from '../../sync-server/metrics';
import type { BusMessage, ControlBusMessage } from '../../sync-server/types';
import { startRedis, type RedisHandle } from '../support/redis';
import { waitFor } from '../support/wait';

const logger = pino({ level: 'silent' });

let redis: RedisHandle;
let raw: Redis;
const buses: RedisBus[] = [];

beforeAll(async () => {
	redis = await startRedis();
	raw = new Redis(redis.url, { maxRetriesPerRequest: null });
	raw.on('error', () => {}); // it reconnects by itself after the outage test
});

afterAll(async () => {
	raw.disconnect();
	await redis.stop();
});

afterEach(async () => {
	await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

async function newBus(instanceId: string, metrics = createMetrics()): Promise<RedisBus> {
	const bus = createRedisBus({
		redis: { kind: 'single', url: redis.url },
		logger,
		instanceId,
		metrics
	});
	buses.push(bus);
	await bus.ready;
	return bus;
}

async function subscribers(roomId: string): Promise<number> {
	const reply = (await raw.pubsub('NUMSUB', CHANNEL_PREFIX + roomId)) as [string, number];
	return Number(reply[1]);
}

/** Subscribes and waits until Redis has the subscription (SUBSCRIBE is asynchronous). */
async function listen(bus: RedisBus, roomId: string, into: BusMessage[]): Promise<() => void> {
	const before = await subscribers(roomId);
	let effective = false;
	const unsubscribe = bus.subscribe(
		roomId,
		(message) => into.push(message),
		() => (effective = true)
	);
	await waitFor(`subscription to ${roomId}`, async () => (await subscribers(roomId)) > before);
	// The room is told once the subscription is confirmed; let that happen before going on.
	await waitFor(`the room told its subscription to ${roomId} took effect`, () => effective);
	return unsubscribe;
}

function bytes(length: number, seed: number): Uint8Array {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
	return out;
}

describe('Redis bus', () => {
	it('delivers every kind byte-exact to the other instance and never back to the publisher', async () => {
		const a = await newBus('instance-a');
		const b = await newBus('instance-b');
		const onA: BusMessage[] = [];
		const onB: BusMessage[] = [];
		await listen(a, 'room1', onA);
		await listen(b, 'room1', onB);

		const sent: BusMessage[] = [
			{ kind: 'update', roomId: 'room1', seq: 1, data: bytes(1, 0) },
			{ kind: 'update', roomId: 'room1', seq: 2, data: bytes(200_000, 7) },
			{ kind: 'update', roomId: 'room1', seq: 2 ** 40, data: new Uint8Array([0, 0, 255, 0]) },
			{ kind: 'awareness', roomId: 'room1', data: bytes(300, 3) },
			{ kind: 'awareness', roomId: 'room1', data: new Uint8Array(0) },
			{ kind: 'revoke', roomId: 'room1', userId: 'user-ü-42' }
		];
		for (const message of sent) a.publish(message);
		await waitFor('all messages on B', () => onB.length === sent.length);
		expect(onB).toEqual(sent);

		// B answers; by the time A sees it, Redis has already delivered A's own messages to A.
		const reply: BusMessage = { kind: 'awareness', roomId: 'room1', data: bytes(5, 9) };
		b.publish(reply);
		await waitFor('the reply on A', () => onA.length > 0);
		expect(onA).toEqual([reply]);
		expect(a.stats.published).toBe(sent.length);
		expect(a.stats.dropped).toBe(0);
	});

	it('stops delivering a room once its last handler unsubscribes', async () => {
		const a = await newBus('instance-a');
		const b = await newBus('instance-b');
		const onB: BusMessage[] = [];
		const first = await listen(b, 'gone', onB);
		const second = b.subscribe('gone', (message) => onB.push(message));
		await listen(b, 'kept', onB);

		first();
		expect(await subscribers('gone')).toBe(1); // another handler still listens
		second();
		await waitFor('the unsubscribe', async () => (await subscribers('gone')) === 0);

		a.publish({ kind: 'revoke', roomId: 'gone', userId: 'u1' });
		a.publish({ kind: 'revoke', roomId: 'kept', userId: 'u2' });
		await waitFor('the message of the kept room', () => onB.length === 1);
		expect(onB).toEqual([{ kind: 'revoke', roomId: 'kept', userId: 'u2' }]);
	});

	it('tells only the new room when its subscription takes effect, so it alone reads back what it missed', async () => {
		const b = await newBus('instance-b');
		let resyncs = 0;
		b.onResync(() => resyncs++);
		const told: string[] = [];
		b.subscribe(
			'fresh',
			() => {},
			() => told.push('fresh')
		);
		b.subscribe(
			'other',
			() => {},
			() => told.push('other')
		);
		await waitFor('both rooms told', () => told.length === 2);
		expect(told.sort()).toEqual(['fresh', 'other']);
		expect(await subscribers('fresh')).toBe(1);
		// Not the bus-wide resync: the other rooms and the user sockets missed nothing.
		const unrelated = await newBus('instance-c');
		await listen(unrelated, 'fresh', []);
		expect(resyncs).toBe(0);
		expect(b.stats.resyncs).toBe(0);
	});

	it('survives a Redis outage: publish drops without throwing, then both instances resync and deliver again', async () => {
		const metricsA = createMetrics();
		const a = await newBus('instance-a', metricsA);
		const b = await newBus('instance-b');
		const onA: BusMessage[] = [];
		const onB: BusMessage[] = [];
		await listen(a, 'outage', onA);
		await listen(b, 'outage', onB);
		let resyncsA = 0;
		let resyncsB = 0;
		a.onResync(() => resyncsA++);
		b.onResync(() => resyncsB++);

		await redis.kill();
		try {
			await waitFor('both buses to notice', () => !a.isConnected() && !b.isConnected());
			const downSince = Date.now();
			const lost: BusMessage = { kind: 'update', roomId: 'outage', seq: 1, data: bytes(10, 1) };
			while (Date.now() - downSince < 3000) {
				expect(() => a.publish(lost)).not.toThrow();
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			expect(a.stats.dropped).toBeGreaterThan(0);
			expect(await metricsA.registry.getSingleMetricAsString('parley_bus_dropped_total')).toMatch(
				new RegExp(`parley_bus_dropped_total ${a.stats.dropped}\\b`)
			);
			expect(resyncsA + resyncsB).toBe(0);
		} finally {
			await redis.restart();
		}
		await waitFor('both resyncs', () => resyncsA > 0 && resyncsB > 0);
		await waitFor('both buses connected', () => a.isConnected() && b.isConnected());
		expect(await subscribers('outage')).toBe(2);

		const after: BusMessage = { kind: 'update', roomId: 'outage', seq: 2, data: bytes(10, 2) };
		const back: BusMessage = { kind: 'update', roomId: 'outage', seq: 3, data: bytes(10, 3) };
		a.publish(after);
		b.publish(back);
		await waitFor(
			'delivery after the outage',
			() => onB.some((m) => m.kind === 'update' && m.seq === 2) && onA.length === 1
		);
		// The update dropped during the outage is published once more when the link is back (b
		// may have resubscribed after that: its resync reads the log then).
		await waitFor('the dropped update published again', () => a.stats.redelivered === 1);
		const seqs = onB.map((m) => (m.kind === 'update' ? m.seq : -1));
		expect(seqs.filter((seq) => seq !== 1)).toEqual([2]);
		expect(seqs.filter((seq) => seq === 1).length).toBeLessThanOrEqual(1);
		expect(onA).toEqual([back]);
	});

	it('publishes the newest update a cut publisher dropped once its link is back, so a subscriber that never lost its own sees it', async () => {
		const a = await newBus('instance-a');
		const list = String(await raw.client('LIST'));
		const publisherOfA = [...list.matchAll(/^id=(\d+) .*name=parley-pub /gm)].map((m) => m[1]);
		expect(publisherOfA).toHaveLength(1);
		const b = await newBus('instance-b');
		const onB: BusMessage[] = [];
		await listen(b, 'cut', onB);

		await raw.client('KILL', 'ID', publisherOfA[0]!);
		// Publish until one is dropped (the kill reaches a's connection within a few turns).
		let seq = 0;
		await waitFor(
			'a publish dropped',
			async () => {
				a.publish({ kind: 'update', roomId: 'cut', seq: ++seq, data: bytes(8, seq) });
				await new Promise((resolve) => setImmediate(resolve));
				return a.stats.dropped > 0;
			},
			10_000,
			1
		);
		const newest = seq;
		await waitFor('the newest dropped update delivered', () =>
			onB.some((m) => m.kind === 'update' && m.seq === newest)
		);
		expect(a.stats.redelivered).toBe(1);
		// Every update reached b at most once, the newest exactly once.
		const seqs = onB.map((m) => (m.kind === 'update' ? m.seq : -1));
		expect(new Set(seqs).size).toBe(seqs.length);
		const delivered = onB.find((m) => m.kind === 'update' && m.seq === newest);
		expect(delivered).toEqual({
			kind: 'update',
			roomId: 'cut',
			seq: newest,
			data: bytes(8, newest)
		});
	});

	it('drops malformed messages from Redis and keeps delivering the good ones', async () => {
		const a = await newBus('instance-a');
		const b = await newBus('instance-b');
		const onB: BusMessage[] = [];
		await listen(b, 'hostile', onB);

		const valid = encodeEnvelope({
			instanceId: 'x',
			publishedAtMs: Date.now(),
			message: { kind: 'update', roomId: 'hostile', seq: 1, data: bytes(50, 5) }
		});
		const otherRoom = encodeEnvelope({
			instanceId: 'x',
			publishedAtMs: Date.now(),
			message: { kind: 'revoke', roomId: 'elsewhere', userId: 'u' }
		});
		const hugeLength = new Uint8Array([...valid.slice(0, valid.length - 51), 0xff, 0xff, 0x7f]);
		const garbage: Buffer[] = [
			Buffer.alloc(0),
			Buffer.from('hello'),
			Buffer.from(valid.slice(0, valid.length - 10)), // truncated
			Buffer.concat([Buffer.from(valid), Buffer.from([1])]), // trailing bytes
			Buffer.from(hugeLength), // a length past the end
			Buffer.from(otherRoom), // claims another room than its channel
			Buffer.from([1, 9, 1, 120, 0, 1, 104]) // unknown kind
		];
		for (const payload of garbage) await raw.publish(CHANNEL_PREFIX + 'hostile', payload);
		const good: BusMessage = { kind: 'awareness', roomId: 'hostile', data: bytes(20, 8) };
		a.publish(good);
		await waitFor('the good message', () => onB.length === 1);
		expect(onB).toEqual([good]);
		expect(b.stats.malformed).toBe(garbage.length);
	});

	it('delivers a logout on the control channel to every other instance, with no room loaded', async () => {
		const a = await newBus('instance-a');
		const b = await newBus('instance-b');
		const c = await newBus('instance-c');
		const onA: ControlBusMessage[] = [];
		const onB: ControlBusMessage[] = [];
		const onC: ControlBusMessage[] = [];
		a.onControl((message) => onA.push(message));
		b.onControl((message) => onB.push(message));
		c.onControl((message) => onC.push(message));
		const ended: ControlBusMessage = { kind: 'session-ended', sessionId: 'session-ü-1' };
		a.publish(ended);
		await waitFor('the logout on B and C', () => onB.length === 1 && onC.length === 1);
		expect(onB).toEqual([ended]);
		expect(onC).toEqual([ended]);

		// By the time A hears B's reply, Redis has delivered A's own message to A.
		const reply: ControlBusMessage = { kind: 'session-ended', sessionId: 'session-2' };
		b.publish(reply);
		await waitFor('the reply on A', () => onA.length === 1);
		expect(onA).toEqual([reply]);
	});

	it('drops a room message on the control channel and a control message on a room channel', async () => {
		const a = await newBus('instance-a');
		const b = await newBus('instance-b');
		const onRoom: BusMessage[] = [];
		const onControl: ControlBusMessage[] = [];
		await listen(b, 'mixed', onRoom);
		b.onControl((message) => onControl.push(message));
		const envelope = (message: BusMessage): Buffer =>
			Buffer.from(encodeEnvelope({ instanceId: 'x', publishedAtMs: Date.now(), message }));
		await raw.publish(CONTROL_CHANNEL, envelope({ kind: 'revoke', roomId: 'mixed', userId: 'u' }));
		await raw.publish(
			CHANNEL_PREFIX + 'mixed',
			envelope({ kind: 'session-ended', sessionId: 's' })
		);
		await raw.publish(CONTROL_CHANNEL, Buffer.from([1, 3, 1, 120, 0, 0])); // empty session id

		const good: ControlBusMessage = { kind: 'session-ended', sessionId: 'good' };
		a.publish(good);
		await waitFor('the good message', () => onControl.length === 1);
		expect(onControl).toEqual([good]);
		expect(onRoom).toEqual([]);
		expect(b.stats.malformed).toBe(3);
	});
});
