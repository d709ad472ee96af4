import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	EMPTY_DELIVERY_STATE,
	decodeStoredClocks,
	deliveryOf,
	mergeDeliveryStates,
	mergeStoredClocks,
	parseDeliveryState,
	readArrayEntries,
	serializeDeliveryState,
	type DeliveryState
} from '../../src/lib/client/delivery';

function docWithClient(clientID: number): Y.Doc {
	const doc = new Y.Doc();
	doc.clientID = clientID;
	return doc;
}

describe('readArrayEntries', () => {
	it('gives each value the client and clock of its struct', () => {
		const doc = docWithClient(7);
		const array = doc.getArray<string>('messages');
		array.push(['a', 'b']);
		array.push(['c']);
		expect(readArrayEntries(array)).toEqual([
			{ value: 'a', client: 7, clock: 0 },
			{ value: 'b', client: 7, clock: 1 },
			{ value: 'c', client: 7, clock: 2 }
		]);
	});

	it('follows array order across clients and skips deleted values', () => {
		const a = docWithClient(1);
		const b = docWithClient(2);
		a.getArray('messages').push(['a0', 'a1']);
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		b.getArray('messages').push(['b0']);
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
		a.getArray('messages').delete(0, 1);
		expect(readArrayEntries(a.getArray('messages'))).toEqual([
			{ value: 'a1', client: 1, clock: 1 },
			{ value: 'b0', client: 2, clock: 0 }
		]);
	});
});

describe('stored clocks', () => {
	it('decodes a payload encoded like a state vector', () => {
		const doc = docWithClient(9);
		doc.getArray('messages').push([1, 2, 3]);
		expect(decodeStoredClocks(Y.encodeStateVector(doc))).toEqual(new Map([[9, 3]]));
	});

	it('merges by keeping the larger clock per client', () => {
		const merged = mergeStoredClocks(
			new Map([
				[1, 5],
				[2, 3]
			]),
			new Map([
				[1, 2],
				[2, 8],
				[3, 1]
			])
		);
		expect(merged).toEqual(
			new Map([
				[1, 5],
				[2, 8],
				[3, 1]
			])
		);
	});

	it('returns the same map when nothing grew', () => {
		const current = new Map([[1, 5]]);
		expect(mergeStoredClocks(current, new Map([[1, 4]]))).toBe(current);
	});
});

describe('deliveryOf', () => {
	const state: DeliveryState = { stored: new Map([[10, 3]]), ownClients: new Set([10, 11]) };

	it('marks own values below the stored clock as stored and the rest as pending', () => {
		expect(deliveryOf({ client: 10, clock: 2 }, state)).toBe('stored');
		expect(deliveryOf({ client: 10, clock: 3 }, state)).toBe('pending');
	});

	it('marks values of an own client the server never confirmed as pending', () => {
		expect(deliveryOf({ client: 11, clock: 0 }, state)).toBe('pending');
	});

	it('marks values written by other clients as stored: they came through the server', () => {
		expect(deliveryOf({ client: 99, clock: 1000 }, state)).toBe('stored');
	});

	it('turns a message pending -> stored once the server reports its clock', () => {
		const doc = docWithClient(42);
		doc.getArray('messages').push(['hello']);
		const [entry] = readArrayEntries(doc.getArray('messages'));
		if (!entry) throw new Error('no entry');
		let current: DeliveryState = { stored: new Map(), ownClients: new Set([42]) };
		expect(deliveryOf(entry, current)).toBe('pending');
		current = mergeDeliveryStates(current, {
			stored: decodeStoredClocks(Y.encodeStateVector(doc)),
			ownClients: new Set()
		});
		expect(deliveryOf(entry, current)).toBe('stored');
	});
});

describe('saved delivery state', () => {
	it('survives a round trip through its serialized form', () => {
		const state: DeliveryState = {
			stored: new Map([
				[1, 4],
				[2, 9]
			]),
			ownClients: new Set([1, 3])
		};
		expect(parseDeliveryState(serializeDeliveryState(state))).toEqual(state);
	});

	it('reads missing, corrupt or foreign values as empty', () => {
		for (const raw of [null, '', '{', 'null', '[]', '{"stored":5,"own":"x"}']) {
			expect(parseDeliveryState(raw)).toEqual(EMPTY_DELIVERY_STATE);
		}
	});

	it('drops malformed entries and keeps the good ones', () => {
		const raw = JSON.stringify({ stored: [[1, 2], [3], ['a', 1], [4, 1.5]], own: [1, 'x', 2.5] });
		expect(parseDeliveryState(raw)).toEqual({
			stored: new Map([[1, 2]]),
			ownClients: new Set([1])
		});
	});

	it('merges two states as the max of clocks and the union of own clients', () => {
		const a: DeliveryState = { stored: new Map([[1, 2]]), ownClients: new Set([1]) };
		const b: DeliveryState = {
			stored: new Map([
				[1, 5],
				[2, 1]
			]),
			ownClients: new Set([2])
		};
		expect(mergeDeliveryStates(a, b)).toEqual({
			stored: new Map([
				[1, 5],
				[2, 1]
			]),
			ownClients: new Set([1, 2])
		});
		expect(mergeDeliveryStates(a, EMPTY_DELIVERY_STATE)).toBe(a);
	});
});
