import { messageId } from '../support/messages';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	deliveryStorageKey,
	epochToOpen,
	isEmpty,
	parseEpoch,
	placeInTime,
	unsyncedOwnChanges,
	writeUnsynced,
	type UnsyncedChanges
} from '../../src/lib/client/epochs';
import { roomTypesOf } from '../../src/lib/client/message-views';
import { parseReplicaDatabaseName, replicaDatabaseName } from '../../src/lib/client/local-replica';
import { buildSeal } from '../../sync-server/seal';

const ALICE = 'alice-id';
const BOB = 'bob-id';

function message(id: string, author: string, text = `text of ${id}`, extra: object = {}) {
	return { id, author, text, ts: 1_700_000_000_000, ...extra };
}

/** Sends everything `from` has that `to` lacks, as the sync protocol would. */
function sync(from: Y.Doc, to: Y.Doc): void {
	Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
}

/**
 * A room the server sealed while Alice's replica held changes it never got: the server's head
 * (the doc it sealed), Alice's replica (epoch 0) and what the seal produced.
 */
function sealedWhileAliceWasOffline() {
	const server = new Y.Doc();
	const alice = new Y.Doc();
	const bob = new Y.Doc();
	const aliceRoom = roomTypesOf(alice);
	const bobRoom = roomTypesOf(bob);

	// Synced before the seal: two messages by Alice, one by Bob, an edit and a reaction.
	aliceRoom.messages.push([message(messageId('a1'), ALICE), message(messageId('a2'), ALICE)]);
	bobRoom.messages.push([message(messageId('b1'), BOB)]);
	sync(alice, server);
	sync(bob, server);
	sync(server, alice);
	aliceRoom.changes.set(messageId('a1'), { text: 'a1 edited online', ts: 10 });
	aliceRoom.reactions.set(`${messageId('b1')}|👍|alice-id`, 11);
	aliceRoom.reads.set(ALICE, { upTo: messageId('b1'), ts: 12 });
	sync(alice, server);

	// Offline: Alice writes on; the server seals without it.
	aliceRoom.messages.push([
		message(messageId('a3'), ALICE, 'typed offline', { replyTo: messageId('b1') })
	]);
	aliceRoom.messages.push([
		message(messageId('a4'), ALICE, 'with a file', {
			files: [{ id: 'ffffffffffffffffffffff22', name: 'n.txt', type: 'text/plain', size: 3 }]
		})
	]);
	aliceRoom.changes.set(messageId('a2'), { text: 'a2 edited offline', ts: 20 });
	aliceRoom.changes.set(messageId('a3'), { text: 'a3 edited offline', ts: 21 });
	aliceRoom.reactions.set(`${messageId('b1')}|🎉|alice-id`, 22);
	aliceRoom.reads.set(ALICE, { upTo: messageId('a4'), ts: 23 });
	// Bob's offline work reached Alice's replica without the server (say, a relay): not hers.
	bobRoom.messages.push([message(messageId('b2'), BOB)]);
	bobRoom.reactions.set(`${messageId('a1')}|❤️|bob-id`, 24);
	bobRoom.reads.set(BOB, { upTo: messageId('a2'), ts: 25 });
	sync(bob, alice);

	const seal = buildSeal(server, 5_000);
	const head = new Y.Doc();
	Y.applyUpdate(head, seal.head);
	return { server, alice, bob, head, stateVector: Y.decodeStateVector(seal.stateVector) };
}

describe('unsyncedOwnChanges', () => {
	it('finds the user’s own messages and keys the sealed state vector does not cover', () => {
		const { alice, stateVector } = sealedWhileAliceWasOffline();

		const unsynced = unsyncedOwnChanges(alice, stateVector, ALICE);

		expect(unsynced.userId).toBe(ALICE);
		expect(unsynced.messages).toEqual([
			message(messageId('a3'), ALICE, 'typed offline', { replyTo: messageId('b1') }),
			message(messageId('a4'), ALICE, 'with a file', {
				files: [{ id: 'ffffffffffffffffffffff22', name: 'n.txt', type: 'text/plain', size: 3 }]
			})
		]);
		expect(unsynced.changes).toEqual([
			[messageId('a2'), { text: 'a2 edited offline', ts: 20 }],
			[messageId('a3'), { text: 'a3 edited offline', ts: 21 }]
		]);
		expect(unsynced.reactions).toEqual([[`${messageId('b1')}|🎉|alice-id`, { ts: 22 }]]);
		expect(unsynced.read).toEqual({ upTo: messageId('a4'), ts: 23 });
	});

	it('finds nothing when the state vector covers the whole replica', () => {
		const { alice } = sealedWhileAliceWasOffline();

		const unsynced = unsyncedOwnChanges(
			alice,
			Y.decodeStateVector(Y.encodeStateVector(alice)),
			ALICE
		);

		expect(isEmpty(unsynced)).toBe(true);
	});

	it('leaves out everyone else’s values, also uncovered ones', () => {
		const { alice, stateVector } = sealedWhileAliceWasOffline();

		const unsynced = unsyncedOwnChanges(alice, stateVector, BOB);

		// Bob's own values in Alice's replica are Bob's to re-send: as Bob they are found.
		expect(unsynced.messages.map((m) => m.id)).toEqual([messageId('b2')]);
		expect(unsynced.reactions).toEqual([[`${messageId('a1')}|❤️|bob-id`, { ts: 24 }]]);
		expect(unsynced.read).toEqual({ upTo: messageId('a2'), ts: 25 });
		// Alice's edits are not Bob's, whoever is asked.
		expect(unsynced.changes).toEqual([]);
	});

	it('keeps a change of an earlier epoch’s message only when its author is known to be the user', () => {
		const doc = new Y.Doc();
		doc.getMap('changes').set('sealed-own', { text: 'edited', ts: 5 });
		doc.getMap('changes').set('sealed-other', { text: 'not mine', ts: 6 });
		doc.getMap('changes').set('sealed-unknown', { deleted: true, ts: 7 });
		const authors = new Map([
			['sealed-own', ALICE],
			['sealed-other', BOB]
		]);

		const unsynced = unsyncedOwnChanges(doc, new Map(), ALICE, (id) => authors.get(id));

		expect(unsynced.changes).toEqual([['sealed-own', { text: 'edited', ts: 5 }]]);
	});

	it('ignores a key deleted in the replica (it has no current value to re-send)', () => {
		const doc = new Y.Doc();
		doc.getMap('reactions').set('m|👍|alice-id', 1);
		doc.getMap('reactions').delete('m|👍|alice-id');

		expect(unsyncedOwnChanges(doc, new Map(), ALICE).reactions).toEqual([]);
	});
});

describe('writeUnsynced', () => {
	it('writes the unsynced changes into the new head, which then shows them', () => {
		const { alice, head, stateVector } = sealedWhileAliceWasOffline();
		const unsynced = unsyncedOwnChanges(alice, stateVector, ALICE);
		const room = roomTypesOf(head);

		const written = head.transact(() => writeUnsynced(room, unsynced));

		expect(written).toEqual({ messages: 2, keys: 4 });
		expect(room.messages.toArray()).toEqual([
			message(messageId('a3'), ALICE, 'typed offline', { replyTo: messageId('b1') }),
			message(messageId('a4'), ALICE, 'with a file', {
				files: [{ id: 'ffffffffffffffffffffff22', name: 'n.txt', type: 'text/plain', size: 3 }]
			})
		]);
		expect(room.changes.get(messageId('a1'))).toEqual({ text: 'a1 edited online', ts: 10 });
		expect(room.changes.get(messageId('a2'))).toEqual({ text: 'a2 edited offline', ts: 20 });
		expect(room.changes.get(messageId('a3'))).toEqual({ text: 'a3 edited offline', ts: 21 });
		expect(room.reactions.get(`${messageId('b1')}|👍|alice-id`)).toBe(11);
		expect(room.reactions.get(`${messageId('b1')}|🎉|alice-id`)).toBe(22);
		expect(room.reads.get(ALICE)).toEqual({ upTo: messageId('a4'), ts: 23 });
	});

	it('writes nothing the second time (a second tab, or a retry after a crash)', () => {
		const { alice, head, stateVector } = sealedWhileAliceWasOffline();
		const unsynced = unsyncedOwnChanges(alice, stateVector, ALICE);
		const room = roomTypesOf(head);
		head.transact(() => writeUnsynced(room, unsynced));
		const before = Y.encodeStateVector(head);
		let updates = 0;
		head.on('update', () => updates++);

		const again = head.transact(() => writeUnsynced(room, unsynced));

		expect(again).toEqual({ messages: 0, keys: 0 });
		expect(updates).toBe(0);
		expect(Y.encodeStateVector(head)).toEqual(before);
		expect(room.messages.length).toBe(2);
	});

	it('skips a message id the head holds already, even from another replica', () => {
		const head = new Y.Doc();
		const room = roomTypesOf(head);
		room.messages.push([message(messageId('m1'), ALICE, 'already here')]);
		const unsynced: UnsyncedChanges = {
			userId: ALICE,
			messages: [message(messageId('m1'), ALICE, 'already here'), message(messageId('m2'), ALICE)],
			changes: [],
			reactions: [],
			removedReactions: [],
			read: null
		};

		writeUnsynced(room, unsynced);

		expect(room.messages.toArray().map((m) => (m as { id: string }).id)).toEqual([
			messageId('m1'),
			messageId('m2')
		]);
	});

	it('keeps a newer change, a delete and a newer read mark the head holds', () => {
		const head = new Y.Doc();
		const room = roomTypesOf(head);
		room.changes.set('newer', { text: 'from another device', ts: 50 });
		room.changes.set('gone', { deleted: true, ts: 1 });
		room.reads.set(ALICE, { upTo: messageId('later'), ts: 60 });
		const unsynced: UnsyncedChanges = {
			userId: ALICE,
			messages: [],
			changes: [
				['newer', { text: 'older edit', ts: 40 }],
				['gone', { text: 'edit after the delete', ts: 30 }],
				['fresh', { text: 'new edit', ts: 30 }]
			],
			reactions: [],
			removedReactions: [],
			read: { upTo: messageId('early'), ts: 55 }
		};

		const written = writeUnsynced(room, unsynced);

		expect(written).toEqual({ messages: 0, keys: 1 });
		expect(room.changes.get('newer')).toEqual({ text: 'from another device', ts: 50 });
		expect(room.changes.get('gone')).toEqual({ deleted: true, ts: 1 });
		expect(room.changes.get('fresh')).toEqual({ text: 'new edit', ts: 30 });
		expect(room.reads.get(ALICE)).toEqual({ upTo: messageId('later'), ts: 60 });
	});

	it('moves a replica across two seals into the head in one step', () => {
		// Epoch 0 sealed with Alice's a1; she stays offline with a2 while 1 is sealed too.
		const server = new Y.Doc();
		const alice = new Y.Doc();
		roomTypesOf(alice).messages.push([message(messageId('a1'), ALICE)]);
		sync(alice, server);
		roomTypesOf(alice).messages.push([message(messageId('a2'), ALICE, 'offline across two seals')]);
		const first = buildSeal(server, 10);
		const epoch1 = new Y.Doc();
		Y.applyUpdate(epoch1, first.head);
		roomTypesOf(epoch1).messages.push([message(messageId('b1'), BOB)]);
		const second = buildSeal(epoch1, 10);
		const head = new Y.Doc();
		Y.applyUpdate(head, second.head);

		// Alice's replica is epoch 0: what epoch 0's seal does not cover goes into the head.
		const unsynced = unsyncedOwnChanges(alice, Y.decodeStateVector(first.stateVector), ALICE);
		writeUnsynced(roomTypesOf(head), unsynced);

		expect(roomTypesOf(head).messages.toArray()).toEqual([
			message(messageId('a2'), ALICE, 'offline across two seals')
		]);
	});
});

describe('seals while offline (the rule in docs/design.md, "History segments")', () => {
	it('puts a message typed offline at its place in time among the head’s messages', () => {
		const head = new Y.Doc();
		const room = roomTypesOf(head);
		const at = (label: string, ts: number) => ({ ...message(messageId(label), BOB), ts });
		room.messages.push([at('h1', 100), at('h2', 300), 'not a message', at('h3', 500)]);
		const typedOffline = [
			{ ...message(messageId('o1'), ALICE), ts: 200 },
			{ ...message(messageId('o2'), ALICE), ts: 300 },
			{ ...message(messageId('o3'), ALICE), ts: 50 }
		];

		head.transact(() =>
			writeUnsynced(room, {
				userId: ALICE,
				messages: typedOffline,
				changes: [],
				reactions: [],
				removedReactions: [],
				read: null
			})
		);

		const order = room.messages
			.toArray()
			.map((value) => (typeof value === 'object' && value && 'id' in value ? value.id : value));
		expect(order).toEqual([
			messageId('o3'),
			messageId('h1'),
			messageId('o1'),
			messageId('h2'),
			messageId('o2'),
			'not a message',
			messageId('h3')
		]);
		expect(placeInTime(room.messages, 10_000)).toBe(7);
	});

	it('keeps a reaction taken back offline removed, but not one set again since', () => {
		const { alice, head, stateVector } = sealedWhileAliceWasOffline();
		const thumbs = `${messageId('b1')}|👍|alice-id`;
		// Synced before the seal (value 11), so the head carries it; taken back offline.
		roomTypesOf(alice).reactions.delete(thumbs);
		const room = roomTypesOf(head);
		expect(room.reactions.get(thumbs)).toBe(11);

		const unsynced = unsyncedOwnChanges(
			alice,
			stateVector,
			ALICE,
			undefined,
			new Map([[thumbs, 11]])
		);
		expect(unsynced.removedReactions).toEqual([[thumbs, 11]]);
		head.transact(() => writeUnsynced(room, unsynced));
		expect(room.reactions.has(thumbs)).toBe(false);

		// Set again in the head since (another device: another ts): it stays.
		room.reactions.set(thumbs, 99);
		head.transact(() => writeUnsynced(room, unsynced));
		expect(room.reactions.get(thumbs)).toBe(99);
		// Taken back and set again in the old replica: nothing to remove.
		roomTypesOf(alice).reactions.set(thumbs, 30);
		expect(
			unsyncedOwnChanges(alice, stateVector, ALICE, undefined, new Map([[thumbs, 11]]))
				.removedReactions
		).toEqual([]);
	});
});

describe('epoch names', () => {
	it('keeps epoch 0’s replica and delivery names, and names later epochs apart', () => {
		expect(replicaDatabaseName('u', 'r')).toBe('parley:u:r');
		expect(replicaDatabaseName('u', 'r', 0)).toBe('parley:u:r');
		expect(replicaDatabaseName('u', 'r', 3)).toBe('parley:u:r:e3');
		expect(deliveryStorageKey('u', 'r', 0)).toBe('parley:delivery:u:r');
		expect(deliveryStorageKey('u', 'r', 2)).toBe('parley:delivery:u:r:e2');
	});

	it('reads a replica database name back, and nothing else', () => {
		expect(parseReplicaDatabaseName('u', 'parley:u:room1')).toEqual({ roomId: 'room1', epoch: 0 });
		expect(parseReplicaDatabaseName('u', 'parley:u:room1:e12')).toEqual({
			roomId: 'room1',
			epoch: 12
		});
		expect(parseReplicaDatabaseName('u', 'parley:other:room1')).toBeNull();
		expect(parseReplicaDatabaseName('u', 'parley-segments:u')).toBeNull();
		expect(parseReplicaDatabaseName('u', 'parley:u:room1:e0')).toBeNull();
		expect(parseReplicaDatabaseName('u', 'parley:u:room1:x')).toBeNull();
	});

	it('opens the stored epoch’s replica when there is one, else the page’s', () => {
		expect(epochToOpen(null, 4)).toBe(4);
		expect(epochToOpen(2, 4)).toBe(2);
		expect(epochToOpen(5, 4)).toBe(5);
		expect(parseEpoch('7')).toBe(7);
		expect(parseEpoch('07')).toBeNull();
		expect(parseEpoch('-1')).toBeNull();
		expect(parseEpoch(null)).toBeNull();
	});
});
