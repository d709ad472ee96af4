import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkUpdate } from '../../sync-server/gate';
import {
	GateServer,
	LIMITS,
	TS,
	capture,
	craftItem,
	craftUpdate,
	createReplica,
	freshReplica,
	message,
	pull,
	syncStep2,
	type Replica
} from './gate-helpers';

const ALICE = 'alice00000000000000000001';
const BOB = 'bob0000000000000000000001';

function expectRefused(verdict: ReturnType<GateServer['submit']>, rule: RegExp): void {
	expect(verdict.ok).toBe(false);
	if (!verdict.ok) expect(verdict.reason).toMatch(rule);
}

/** A server with Alice's and Bob's replicas both synced to it and one message from each. */
function room(): {
	server: GateServer;
	alice: Replica;
	bob: Replica;
	aliceMessage: ReturnType<typeof message>;
	bobMessage: ReturnType<typeof message>;
} {
	const server = new GateServer();
	const alice = createReplica(ALICE);
	const bob = createReplica(BOB);
	const aliceMessage = message(ALICE, 'hi bob');
	const bobMessage = message(BOB, 'hi alice');
	expect(server.submitChange(alice, () => alice.messages.push([aliceMessage])).ok).toBe(true);
	pull(bob, server);
	expect(server.submitChange(bob, () => bob.messages.push([bobMessage])).ok).toBe(true);
	pull(alice, server);
	pull(bob, server);
	return { server, alice, bob, aliceMessage, bobMessage };
}

describe('checkUpdate: honest changes', () => {
	it('accepts a message and names the clientID to claim and the new message id', () => {
		const server = new GateServer();
		const alice = createReplica(ALICE, 1234);
		const sent = message(ALICE);
		const verdict = server.submitChange(alice, () => alice.messages.push([sent]));
		expect(verdict).toMatchObject({
			ok: true,
			clientIds: [1234],
			messageIds: [sent.id],
			noop: false
		});
		expect(server.doc.getArray('messages').toJSON()).toEqual([sent]);
	});

	it('accepts a message with a reply and files', () => {
		const { server, alice, bobMessage } = room();
		const sent = message(ALICE, 'see file', {
			replyTo: bobMessage.id,
			files: [{ id: 'abcdefghijklmnopqrstuv23', name: 'a.png', type: 'image/png', size: 12 }]
		});
		expect(server.submitChange(alice, () => alice.messages.push([sent])).ok).toBe(true);
	});

	it('accepts an edit and a delete tombstone of your own message', () => {
		const { server, alice, aliceMessage } = room();
		const edit = capture(alice.doc, () =>
			alice.changes.set(aliceMessage.id, { text: 'hey', ts: TS + 1 })
		);
		expect(server.submit(ALICE, edit).ok).toBe(true);
		const tombstone = capture(alice.doc, () =>
			alice.changes.set(aliceMessage.id, { deleted: true, ts: TS + 2 })
		);
		expect(server.submit(ALICE, tombstone).ok).toBe(true);
		expect(server.doc.getMap('changes').get(aliceMessage.id)).toEqual({
			deleted: true,
			ts: TS + 2
		});
	});

	it('accepts reacting, un-reacting and a read receipt of your own', () => {
		const { server, bob, aliceMessage } = room();
		const key = `${aliceMessage.id}|👍|${BOB}`;
		expect(server.submitChange(bob, () => bob.reactions.set(key, TS + 5)).ok).toBe(true);
		expect(server.submitChange(bob, () => bob.reactions.delete(key)).ok).toBe(true);
		const read = capture(bob.doc, () => bob.reads.set(BOB, { upTo: aliceMessage.id, ts: TS + 6 }));
		expect(server.submit(BOB, read).ok).toBe(true);
		expect(server.doc.getMap('reactions').has(key)).toBe(false);
	});

	it('accepts any single emoji as a reaction: skin tones, ZWJ sequences, flags, keycaps', () => {
		const { server, bob, aliceMessage } = room();
		for (const emoji of ['🦩', '👍🏾', '🧑‍🚀', '👩🏻‍❤️‍💋‍👨🏼', '🇯🇵', '🏴󠁧󠁢󠁷󠁬󠁳󠁿', '#️⃣', '❤️']) {
			const key = `${aliceMessage.id}|${emoji}|${BOB}`;
			expect(server.submitChange(bob, () => bob.reactions.set(key, TS + 5)).ok).toBe(true);
			expect(server.doc.getMap('reactions').has(key)).toBe(true);
		}
	});

	it('accepts a message and its edit sent together after working offline', () => {
		const { server, alice } = room();
		const offline = message(ALICE, 'typo');
		alice.messages.push([offline]);
		alice.changes.set(offline.id, { text: 'fixed', ts: TS + 3 });
		alice.reactions.set(`${offline.id}|🎉|${ALICE}`, TS + 4);
		alice.reactions.delete(`${offline.id}|🎉|${ALICE}`);
		expect(server.submit(ALICE, syncStep2(alice, server)).ok).toBe(true);
		expect(server.doc.getMap('changes').get(offline.id)).toEqual({ text: 'fixed', ts: TS + 3 });
	});

	it("accepts a sync whose delete set repeats other users' earlier deletions", () => {
		const { server, alice, bob, aliceMessage } = room();
		const key = `${aliceMessage.id}|👍|${BOB}`;
		expect(server.submitChange(bob, () => bob.reactions.set(key, TS + 1)).ok).toBe(true);
		expect(server.submitChange(bob, () => bob.reactions.delete(key)).ok).toBe(true);
		pull(alice, server);
		alice.reads.set(ALICE, { upTo: aliceMessage.id, ts: TS + 9 });
		const update = syncStep2(alice, server);
		expect(Y.decodeUpdate(update).ds.clients.has(bob.doc.clientID)).toBe(true);
		expect(server.submit(ALICE, update)).toMatchObject({ ok: true, noop: false });
	});

	it('reduces an update the server partly has to the new part', () => {
		const server = new GateServer();
		const alice = createReplica(ALICE);
		const first = message(ALICE, 'one');
		const second = message(ALICE, 'two');
		expect(server.submitChange(alice, () => alice.messages.push([first])).ok).toBe(true);
		alice.messages.push([second]);
		// The whole state: the first message again (a duplicate id if checked) plus the second.
		const whole = Y.encodeStateAsUpdate(alice.doc);
		const verdict = server.submit(ALICE, whole);
		expect(verdict.ok).toBe(true);
		if (!verdict.ok) return;
		expect(verdict.messageIds).toEqual([second.id]);
		expect(verdict.update.length).toBeLessThan(whole.length);
		expect(server.doc.getArray('messages').toJSON()).toEqual([first, second]);
	});

	it('keeps the original bytes and marks a re-sent update as a no-op', () => {
		const server = new GateServer();
		const alice = createReplica(ALICE);
		const update = capture(alice.doc, () => alice.messages.push([message(ALICE)]));
		const first = server.submit(ALICE, update);
		expect(first.ok && first.update).toBe(update);
		expect(server.submit(ALICE, update)).toMatchObject({ ok: true, noop: true, clientIds: [] });
		expect(server.submit(ALICE, Y.encodeStateAsUpdate(new Y.Doc()))).toMatchObject({
			ok: true,
			noop: true
		});
	});

	it('does not change the doc it checks', () => {
		const { server, bob, aliceMessage } = room();
		const before = server.state();
		const attack = capture(bob.doc, () =>
			bob.changes.set(aliceMessage.id, { text: 'x', ts: TS + 1 })
		);
		checkUpdate(server.doc, { userId: BOB }, attack, LIMITS, server.owners);
		checkUpdate(server.doc, { userId: BOB }, syncStep2(bob, server), LIMITS, server.owners);
		expect(server.state()).toEqual(before);
	});
});

describe('checkUpdate: rule 1 (roots, types, JSON only)', () => {
	it('refuses an unknown root', () => {
		const { server, alice } = room();
		expectRefused(
			server.submitChange(alice, () => alice.doc.getArray('evil').push([1])),
			/rule 1: unknown root/
		);
	});

	it.each([
		['Y.Map', () => new Y.Map()],
		['Y.Array', () => new Y.Array()],
		['Y.Text', () => new Y.Text('hi')]
	])('refuses a nested %s in messages', (_name, make) => {
		const { server, alice } = room();
		const update = capture(alice.doc, () => alice.messages.push([make()]));
		expectRefused(server.submit(ALICE, update), /rule 1/);
	});

	it('refuses writing inside a nested type another update smuggled in', () => {
		const evil = createReplica(ALICE);
		const nested = new Y.Map();
		evil.messages.push([nested]);
		const server = new GateServer();
		Y.applyUpdate(server.doc, Y.encodeStateAsUpdate(evil.doc)); // as if it got in somehow
		const update = capture(evil.doc, () => nested.set('author', ALICE));
		expectRefused(server.submit(ALICE, update), /rule 1: nested/);
	});

	it('refuses a Y.Text or a Y.Map under the name messages', () => {
		const server = new GateServer();
		const text = new Y.Doc();
		expectRefused(
			server.submit(
				ALICE,
				capture(text, () => text.getText('messages').insert(0, 'hi'))
			),
			/rule 1/
		);
		const map = new Y.Doc();
		expectRefused(
			server.submit(
				ALICE,
				capture(map, () => map.getMap('messages').set('k', message(ALICE)))
			),
			/rule 1/
		);
	});

	it('refuses binary and non-JSON values', () => {
		const { server, alice } = room();
		const binary = capture(alice.doc, () => alice.messages.push([new Uint8Array([1, 2])]));
		expectRefused(server.submit(ALICE, binary), /rule 1/);
		const again = freshReplica(ALICE, server);
		const any = capture(again.doc, () =>
			again.messages.push([message(ALICE, 'x', { replyTo: new Uint8Array([1]) })])
		);
		expectRefused(server.submit(ALICE, any), /rule 2/);
	});

	it('refuses a list in a map root and keys in messages', () => {
		const server = new GateServer();
		const listInMap = craftUpdate([
			craftItem({ client: 5, clock: 0, parent: 'reads', content: new Y.ContentAny([1]) })
		]);
		expectRefused(server.submit(ALICE, listInMap), /rule 1: reads holds keys/);
		const keyInArray = craftUpdate([
			craftItem({
				client: 5,
				clock: 0,
				parent: 'messages',
				parentSub: 'k',
				content: new Y.ContentAny([message(ALICE)])
			})
		]);
		expectRefused(server.submit(ALICE, keyInArray), /rule 1: messages holds a list/);
	});

	it('refuses an item whose left and right neighbours are in different roots', () => {
		const { server, alice, aliceMessage } = room();
		const readsUpdate = capture(alice.doc, () =>
			alice.reads.set(ALICE, { upTo: aliceMessage.id, ts: TS + 1 })
		);
		expect(server.submit(ALICE, readsUpdate).ok).toBe(true);
		const readItem = server.doc.getMap('reads')._map.get(ALICE);
		const firstMessage = server.doc.getArray('messages')._start;
		if (!readItem || !firstMessage) throw new Error('setup');
		const straddling = craftUpdate([
			craftItem({
				client: alice.doc.clientID,
				clock: Y.getState(server.doc.store, alice.doc.clientID),
				origin: readItem.id,
				rightOrigin: firstMessage.id,
				content: new Y.ContentAny([{ upTo: aliceMessage.id, ts: TS + 2 }])
			})
		]);
		expectRefused(server.submit(ALICE, straddling), /rule 1: an item between two different places/);
	});

	it('refuses garbage-collected structs', () => {
		const server = new GateServer();
		expectRefused(
			server.submit(ALICE, craftUpdate([new Y.GC(Y.createID(9, 0), 3)])),
			/rule 1: garbage/
		);
	});

	it('refuses an item that points at a nested type by ID', () => {
		const server = new GateServer();
		const update = craftUpdate([
			craftItem({ client: 9, clock: 0, parent: Y.createID(3, 0), content: new Y.ContentAny([1]) })
		]);
		expectRefused(server.submit(ALICE, update), /rule 1: nested/);
	});
});

describe('checkUpdate: rule 2 (message schema, author, unused id)', () => {
	it('refuses a message whose author is someone else', () => {
		const { server, bob } = room();
		const forged = capture(bob.doc, () => bob.messages.push([message(ALICE, 'I am alice')]));
		const verdict = server.submit(BOB, forged);
		expectRefused(verdict, /rule 2: author must be the sender/);
		expect(verdict).toMatchObject({ resync: false });
	});

	it('accepts text of exactly the limit and refuses one character more', () => {
		const { server, alice } = room();
		const atLimit = 'x'.repeat(LIMITS.maxMessageChars);
		const ok = capture(alice.doc, () => alice.messages.push([message(ALICE, atLimit)]));
		expect(server.submit(ALICE, ok).ok).toBe(true);
		const tooLong = capture(alice.doc, () => alice.messages.push([message(ALICE, `${atLimit}x`)]));
		expectRefused(server.submit(ALICE, tooLong), /rule 2: message text longer than 4000/);
	});

	it('refuses a message id already in the room or twice in one update', () => {
		const { server, alice, bobMessage } = room();
		const reused = capture(alice.doc, () =>
			alice.messages.push([{ ...message(ALICE), id: bobMessage.id }])
		);
		expectRefused(server.submit(ALICE, reused), /rule 2: message id already used/);
		const twice = message(ALICE);
		const again = freshReplica(ALICE, server);
		const doubled = capture(again.doc, () => again.messages.push([twice, { ...twice }]));
		expectRefused(server.submit(ALICE, doubled), /rule 2: message id already used/);
	});

	it.each([
		['an extra key', { isAdmin: true }],
		['a non-UUID id', { id: 'not-a-uuid' }],
		['a numeric text', { text: 5 }],
		['an infinite ts', { ts: Infinity }],
		['a string ts', { ts: 'now' }],
		[
			'eleven files',
			{
				files: Array.from({ length: 11 }, () => ({
					id: 'abcdefghijklmnopqrstuv23',
					name: 'n',
					type: 'text/plain',
					size: 1
				}))
			}
		],
		[
			'a negative file size',
			{ files: [{ id: 'abcdefghijklmnopqrstuv23', name: 'n', type: 'text/plain', size: -1 }] }
		],
		[
			'a file with an extra key',
			{
				files: [
					{ id: 'abcdefghijklmnopqrstuv23', name: 'n', type: 'text/plain', size: 1, url: 'x' }
				]
			}
		],
		['a long file name', { files: [{ id: 'f', name: 'n'.repeat(256), type: 't', size: 1 }] }]
	])('refuses a message with %s', (_name, override) => {
		const { server, alice } = room();
		const bad = capture(alice.doc, () => alice.messages.push([{ ...message(ALICE), ...override }]));
		expectRefused(server.submit(ALICE, bad), /rule 2/);
	});

	it('refuses a message that is not an object', () => {
		const { server, alice } = room();
		expectRefused(
			server.submitChange(alice, () => alice.messages.push(['hi'])),
			/rule 2/
		);
	});
});

describe('checkUpdate: rule 3 (messages are never deleted)', () => {
	it("refuses deleting another user's message and your own", () => {
		const { server, alice } = room();
		expectRefused(
			server.submitChange(alice, () => alice.messages.delete(1, 1)),
			/rule 3/
		);
		expectRefused(
			server.submitChange(alice, () => alice.messages.delete(0, 1)),
			/rule 3/
		);
		expect(server.doc.getArray('messages').length).toBe(2);
	});

	it('refuses a delete set over messages the server does not have yet', () => {
		const { server, bob } = room();
		const future = craftUpdate([], [{ client: bob.doc.clientID, clock: 1, len: 100 }]);
		expectRefused(server.submit(ALICE, future), /does not have/);
	});
});

describe('checkUpdate: rule 4 (map keys belong to their owner)', () => {
	it("refuses editing or tombstoning another user's message", () => {
		const { server, bob, aliceMessage } = room();
		const edit = capture(bob.doc, () =>
			bob.changes.set(aliceMessage.id, { text: 'pwned', ts: TS + 1 })
		);
		expectRefused(server.submit(BOB, edit), /rule 4: only a message’s author/);
		const again = freshReplica(BOB, server);
		const remove = capture(again.doc, () =>
			again.changes.set(aliceMessage.id, { deleted: true, ts: TS + 1 })
		);
		expectRefused(server.submit(BOB, remove), /rule 4/);
	});

	it('refuses a change for a message that does not exist', () => {
		const { server, alice } = room();
		const ghost = message(ALICE).id;
		expectRefused(
			server.submitChange(alice, () => alice.changes.set(ghost, { text: 'x', ts: TS + 1 })),
			/rule 4/
		);
	});

	it("refuses removing another user's edit", () => {
		const { server, alice, bob, aliceMessage } = room();
		const edit = capture(alice.doc, () =>
			alice.changes.set(aliceMessage.id, { text: 'v2', ts: TS + 1 })
		);
		expect(server.submit(ALICE, edit).ok).toBe(true);
		pull(bob, server);
		expectRefused(
			server.submitChange(bob, () => bob.changes.delete(aliceMessage.id)),
			/rule 4/
		);
	});

	it('refuses reacting as someone else and removing their reaction', () => {
		const { server, alice, bob, bobMessage } = room();
		const asAlice = `${bobMessage.id}|👍|${ALICE}`;
		expectRefused(
			server.submitChange(bob, () => bob.reactions.set(asAlice, TS + 1)),
			/rule 4/
		);
		expect(server.submitChange(alice, () => alice.reactions.set(asAlice, TS + 1)).ok).toBe(true);
		const again = freshReplica(BOB, server);
		expectRefused(
			server.submit(
				BOB,
				capture(again.doc, () => again.reactions.delete(asAlice))
			),
			/rule 4/
		);
		expect(server.doc.getMap('reactions').get(asAlice)).toBe(TS + 1);
	});

	it.each([
		['an emoji of 17 characters', (id: string) => `${id}|${'x'.repeat(17)}|${BOB}`],
		['an empty emoji', (id: string) => `${id}||${BOB}`],
		['a word instead of an emoji', (id: string) => `${id}|yes|${BOB}`],
		['two emoji', (id: string) => `${id}|👍🎉|${BOB}`],
		['a key without parts', () => `${BOB}`],
		['a key whose message is not a UUID', () => `nope|👍|${BOB}`]
	])('refuses a reaction with %s', (_name, keyOf) => {
		const { server, bob, aliceMessage } = room();
		const update = capture(bob.doc, () => bob.reactions.set(keyOf(aliceMessage.id), TS + 1));
		expectRefused(server.submit(BOB, update), /rule 4/);
	});

	it('refuses reaction, change and read values of the wrong shape', () => {
		const { server, aliceMessage } = room();
		const key = `${aliceMessage.id}|👍|${ALICE}`;
		const cases: ((alice: Replica) => void)[] = [
			(alice) => alice.reactions.set(key, 'yes'),
			(alice) => alice.changes.set(aliceMessage.id, { text: 'x' }),
			(alice) => alice.changes.set(aliceMessage.id, { deleted: false, ts: TS + 1 }),
			(alice) => alice.changes.set(aliceMessage.id, { text: 'x'.repeat(4001), ts: TS + 1 }),
			(alice) => alice.reads.set(ALICE, { upTo: 5, ts: TS + 1 }),
			(alice) => alice.reads.set(ALICE, { upTo: 'm', ts: TS + 1, extra: 1 })
		];
		const reasons = cases.map((change) => {
			const alice = freshReplica(ALICE, server);
			const verdict = server.submitChange(alice, () => change(alice));
			return verdict.ok ? 'accepted' : verdict.reason;
		});
		expect(reasons.every((reason) => /^rule [24]:/.test(reason))).toBe(true);
	});

	it("refuses writing another user's read receipt", () => {
		const { server, bob, aliceMessage } = room();
		const forged = capture(bob.doc, () =>
			bob.reads.set(ALICE, { upTo: aliceMessage.id, ts: TS + 1 })
		);
		expectRefused(server.submit(BOB, forged), /rule 4: write only your own read receipt/);
	});
});

describe('checkUpdate: rule 5 (a clientID belongs to its first user)', () => {
	it("refuses an update written with another user's clientID", () => {
		const { server, alice } = room();
		const impostor = freshReplica(BOB, server);
		// Set after syncing: Yjs would otherwise notice the clash and pick a new clientID.
		impostor.doc.clientID = alice.doc.clientID;
		const update = capture(impostor.doc, () => impostor.messages.push([message(BOB)]));
		expectRefused(server.submit(BOB, update), /rule 5: clientID \d+ belongs to another user/);
	});
});

describe('checkUpdate: bad bytes and missing dependencies', () => {
	it.each([
		['no bytes', new Uint8Array()],
		['random bytes', new Uint8Array([255, 255, 255, 255, 255, 7, 3, 9])],
		['a struct count beyond the bytes', new Uint8Array([1, 200, 1, 5, 0])]
	])('refuses %s as malformed', (_name, bytes) => {
		const server = new GateServer();
		expectRefused(server.submit(ALICE, bytes), /malformed/);
	});

	it('refuses every truncation of an honest update without throwing', () => {
		const alice = createReplica(ALICE);
		const update = capture(alice.doc, () => alice.messages.push([message(ALICE)]));
		const server = new GateServer();
		for (let end = 0; end < update.length - 1; end++) {
			expect(server.submit(ALICE, update.subarray(0, end)).ok).toBe(false);
		}
	});

	it('refuses an update that builds on changes the server has not seen', () => {
		const server = new GateServer();
		const alice = createReplica(ALICE);
		capture(alice.doc, () => alice.messages.push([message(ALICE)])); // never sent
		const next = capture(alice.doc, () => alice.messages.push([message(ALICE)]));
		const verdict = server.submit(ALICE, next);
		expectRefused(verdict, /does not have/);
		// Not an offence: the server should ask the client to re-send what it lacks.
		expect(verdict).toMatchObject({ resync: true });
	});

	it('refuses empty, overlapping or unsorted delete ranges', () => {
		const { server, alice, aliceMessage } = room();
		const key = `${aliceMessage.id}|👍|${ALICE}`;
		expect(server.submitChange(alice, () => alice.reactions.set(key, TS + 1)).ok).toBe(true);
		const client = alice.doc.clientID;
		const reactionClock = Y.getState(server.doc.store, client) - 1;
		const cases = [
			[{ client, clock: reactionClock, len: 0 }],
			[
				{ client, clock: reactionClock, len: 1 },
				{ client, clock: reactionClock, len: 1 }
			],
			[
				{ client, clock: reactionClock, len: 1 },
				{ client, clock: 0, len: 1 }
			]
		];
		for (const ranges of cases) {
			expectRefused(server.submit(ALICE, craftUpdate([], ranges)), /malformed update/);
		}
		// The same deletion, well formed, is Alice's to make.
		const once = craftUpdate([], [{ client, clock: reactionClock, len: 1 }]);
		expect(server.submit(ALICE, once)).toMatchObject({ ok: true, noop: false });
	});

	it('refuses origins that form a cycle', () => {
		const server = new GateServer();
		const update = craftUpdate([
			craftItem({ client: 1, clock: 0, origin: Y.createID(2, 0), content: new Y.ContentAny([1]) }),
			craftItem({ client: 2, clock: 0, origin: Y.createID(1, 0), content: new Y.ContentAny([1]) })
		]);
		expectRefused(server.submit(ALICE, update), /cycle/);
	});

	it('resolves a long chain of origins without overflowing the stack', () => {
		const server = new GateServer();
		const length = 30_000;
		// Client 1's one item follows the end of client 2's chain, which is listed after it.
		const items = [
			craftItem({
				client: 1,
				clock: 0,
				origin: Y.createID(2, length - 1),
				content: new Y.ContentAny([message(ALICE)])
			})
		];
		for (let clock = 0; clock < length; clock++) {
			items.push(
				craftItem({
					client: 2,
					clock,
					origin: clock === 0 ? null : Y.createID(2, clock - 1),
					parent: clock === 0 ? 'messages' : null,
					content: new Y.ContentAny([message(ALICE)])
				})
			);
		}
		// Only the gate: Yjs itself takes quadratic time to integrate this shape.
		const verdict = checkUpdate(
			server.doc,
			{ userId: ALICE },
			craftUpdate(items),
			LIMITS,
			server.owners
		);
		expect(verdict.ok && verdict.messageIds.length).toBe(length + 1);
	});
});

describe('checkUpdate: an archived room', () => {
	it('refuses new messages (rule 2) but still takes reactions and read marks', () => {
		const { server, alice, bob, aliceMessage, bobMessage } = room();
		server.options = { archived: true };
		const refused = server.submitChange(alice, () => alice.messages.push([message(ALICE, 'late')]));
		expectRefused(refused, /^rule 2: the room is archived$/);
		// (Bob's replica: Alice's holds her refused message, and what builds on it is a gap.)
		const reacted = server.submitChange(bob, () =>
			bob.reactions.set(`${aliceMessage.id}|👍|${BOB}`, TS)
		);
		expect(reacted.ok).toBe(true);
		const read = server.submitChange(bob, () =>
			bob.reads.set(BOB, { upTo: bobMessage.id, ts: TS })
		);
		expect(read.ok).toBe(true);
		// Reopened: messages pass again.
		server.options = {};
		expect(server.submitChange(bob, () => bob.messages.push([message(BOB, 'again')])).ok).toBe(
			true
		);
	});
});
