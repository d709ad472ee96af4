/**
 * buildSeal (sync-server/seal.ts): what sealing a head writes, computed from the doc alone.
 * Also the bus message that tells other instances about it (bus-redis.ts envelope).
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decodeEnvelope, encodeEnvelope } from '../../sync-server/bus-redis';
import { buildSeal } from '../../sync-server/seal';

interface TestMessage {
	id: string;
	author: string;
	text: string;
	ts: number;
	replyTo?: string;
	files?: { id: string; name: string; type: string; size: number }[];
}

/** A head written by two clients taking turns, with every kind of map entry. */
function head(count: number): { doc: Y.Doc; messages: TestMessage[] } {
	const doc = new Y.Doc();
	const alice = new Y.Doc();
	const bob = new Y.Doc();
	const messages: TestMessage[] = [];
	for (let i = 0; i < count; i++) {
		const writer = i % 2 === 0 ? alice : bob;
		Y.applyUpdate(writer, Y.encodeStateAsUpdate(doc));
		const message: TestMessage = {
			id: crypto.randomUUID(),
			author: writer === alice ? 'alice' : 'bob',
			text: `message ${i} — ü ${'"quoted"'}`,
			ts: 1_700_000_000_000 + i
		};
		if (i === 3) message.replyTo = messages[0]?.id ?? '';
		if (i === 4) message.files = [{ id: 'f1', name: 'a.png', type: 'image/png', size: 12 }];
		writer.getArray<TestMessage>('messages').push([message]);
		messages.push(message);
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer));
	}
	return { doc, messages };
}

function segmentMessages(data: Uint8Array): unknown {
	return JSON.parse(gunzipSync(data).toString('utf8'));
}

describe('buildSeal', () => {
	it('cuts the messages, in array order, into segments of at most the bound, as gzip JSON', () => {
		const { doc, messages } = head(7);
		const seal = buildSeal(doc, 3);
		expect(seal.messageCount).toBe(7);
		expect(seal.segments.map((s) => s.count)).toEqual([3, 3, 1]);
		const order = doc.getArray<TestMessage>('messages').toArray();
		expect(order.map((m) => m.id).sort()).toEqual(messages.map((m) => m.id).sort());
		seal.segments.forEach((segment, i) => {
			const part = order.slice(i * 3, i * 3 + 3);
			// Exactly JSON.stringify of the plain objects, byte for byte after gunzip.
			expect(gunzipSync(segment.data).toString('utf8')).toBe(JSON.stringify(part));
			expect(segment.firstId).toBe(part[0]?.id);
			expect(segment.lastId).toBe(part.at(-1)?.id);
		});
		expect(seal.segments.flatMap((s) => segmentMessages(s.data) as TestMessage[])).toEqual(order);
		expect(seal.messageIds).toEqual(order.map((m) => ({ id: m.id, author: m.author })));
	});

	it('makes exactly one segment at the bound and none for an empty head', () => {
		const { doc } = head(4);
		expect(buildSeal(doc, 4).segments.map((s) => s.count)).toEqual([4]);
		expect(buildSeal(doc, 5).segments.map((s) => s.count)).toEqual([4]);
		const empty = buildSeal(new Y.Doc(), 4);
		expect(empty.segments).toEqual([]);
		expect(empty.messageIds).toEqual([]);
		expect(() => buildSeal(doc, 0)).toThrow(RangeError);
	});

	it('records the head’s state vector exactly', () => {
		const { doc } = head(5);
		doc.getMap('reads').set('alice', { upTo: 'x', ts: 1 });
		const seal = buildSeal(doc, 2);
		expect(seal.stateVector).toEqual(Y.encodeStateVector(doc));
		expect(Y.decodeStateVector(seal.stateVector).size).toBe(3);
	});

	it('carries every entry of changes, reactions and reads into a fresh head of its own clientID', () => {
		const { doc, messages } = head(3);
		const [first, second] = messages;
		if (!first || !second) throw new Error('no messages');
		const changes = doc.getMap('changes');
		changes.set(first.id, { text: 'one edit', ts: 2 });
		changes.set(first.id, { text: 'the latest edit', ts: 3 });
		changes.set(second.id, { deleted: true, ts: 4 });
		doc.getMap('reactions').set(`${first.id}|👍|bob`, 10);
		doc.getMap('reactions').set(`${first.id}|🎉|alice`, 11);
		doc.getMap('reactions').delete(`${first.id}|🎉|alice`);
		doc.getMap('reads').set('bob', { upTo: second.id, ts: 12 });

		const seal = buildSeal(doc, 10);
		const next = new Y.Doc();
		Y.applyUpdate(next, seal.head);
		for (const name of ['changes', 'reactions', 'reads']) {
			expect(next.getMap(name).toJSON()).toEqual(doc.getMap(name).toJSON());
		}
		expect(next.getMap('changes').get(first.id)).toEqual({ text: 'the latest edit', ts: 3 });
		expect(next.getMap('reactions').has(`${first.id}|🎉|alice`)).toBe(false);
		expect(next.getArray('messages').length).toBe(0);
		// One writer, none of the sealed head's clientIDs: the server's own.
		const writers = [...Y.decodeStateVector(Y.encodeStateVector(next)).keys()];
		expect(writers).toHaveLength(1);
		expect(Y.decodeStateVector(seal.stateVector).has(writers[0] ?? -1)).toBe(false);
		// Nothing deleted travels: only the current values.
		expect(Y.decodeUpdate(seal.head).ds.clients.size).toBe(0);
	});

	it('leaves the sealed doc as it was', () => {
		const { doc } = head(4);
		doc.getMap('changes').set('k', { text: 'x', ts: 1 });
		const before = Y.encodeStateAsUpdate(doc);
		buildSeal(doc, 3);
		expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
	});
});

describe('the epoch bus message', () => {
	it('travels through the Redis envelope byte-exact, and a zero epoch is refused', () => {
		const message = { kind: 'epoch', roomId: 'room1', epoch: 3 } as const;
		const bytes = encodeEnvelope({ instanceId: 'i1', publishedAtMs: 5, message });
		expect(decodeEnvelope(bytes)).toEqual({
			ok: true,
			envelope: { instanceId: 'i1', publishedAtMs: 5, message }
		});
		const zero = encodeEnvelope({
			instanceId: 'i1',
			publishedAtMs: 5,
			message: { ...message, epoch: 0 }
		});
		expect(decodeEnvelope(zero).ok).toBe(false);
		expect(decodeEnvelope(bytes.subarray(0, bytes.length - 1)).ok).toBe(false);
	});
});
