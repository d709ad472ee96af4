/**
 * Property: honest replicas never trip the gate, and whatever the gate lets through converges.
 * Random interleavings of honest operations by 4 replicas (3 users; the first has two tabs),
 * with random disconnects and reconnects. fast-check prints the seed and the shrunk run on
 * failure; replay with fc.assert(..., { seed, path }).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { GateServer, TS, capture, createReplica, syncStep2, type Replica } from './gate-helpers';

const USERS = ['user0000000000000000000a', 'user0000000000000000000b', 'user0000000000000000000c'];
const REMOTE = Symbol('remote');

type Op =
	| { kind: 'send'; who: number; text: string; withFile: boolean }
	| { kind: 'edit'; who: number; pick: number; text: string }
	| { kind: 'delete'; who: number; pick: number }
	| { kind: 'react'; who: number; pick: number; emoji: string }
	| { kind: 'unreact'; who: number; pick: number }
	| { kind: 'read'; who: number }
	| { kind: 'disconnect'; who: number }
	| { kind: 'reconnect'; who: number };

const who = fc.integer({ min: 0, max: 3 });
const pick = fc.nat(50);
const opArb: fc.Arbitrary<Op> = fc.oneof(
	{
		arbitrary: fc.record({
			kind: fc.constant('send' as const),
			who,
			text: fc.string({ maxLength: 30 }),
			withFile: fc.boolean()
		}),
		weight: 4
	},
	fc.record({ kind: fc.constant('edit' as const), who, pick, text: fc.string({ maxLength: 30 }) }),
	fc.record({ kind: fc.constant('delete' as const), who, pick }),
	{
		arbitrary: fc.record({
			kind: fc.constant('react' as const),
			who,
			pick,
			emoji: fc.constantFrom('👍', '🎉', '🧑‍💻', '❤️')
		}),
		weight: 2
	},
	fc.record({ kind: fc.constant('unreact' as const), who, pick }),
	fc.record({ kind: fc.constant('read' as const), who }),
	fc.record({ kind: fc.constant('disconnect' as const), who }),
	{ arbitrary: fc.record({ kind: fc.constant('reconnect' as const), who }), weight: 2 }
);

interface Peer {
	readonly replica: Replica;
	online: boolean;
}

/** Runs one scenario; returns the refusals (expected: none) and checks convergence. */
function run(ops: readonly Op[]): string[] {
	const server = new GateServer();
	const refusals: string[] = [];
	let counter = 0;
	const nextId = (): string =>
		`00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, '0')}`;
	const peers: Peer[] = [0, 1, 2, 0].map((user) => ({
		replica: createReplica(USERS[user] ?? ''),
		online: true
	}));

	const submit = (from: Peer, update: Uint8Array): void => {
		const verdict = server.submit(from.replica.userId, update);
		if (!verdict.ok) {
			refusals.push(verdict.reason);
			return;
		}
		if (verdict.noop) return;
		// The server forwards what it accepted to every other connected replica.
		for (const peer of peers) {
			if (peer !== from && peer.online) Y.applyUpdate(peer.replica.doc, verdict.update, REMOTE);
		}
	};
	for (const peer of peers) {
		// Like y-websocket: every local transaction is sent at once while connected.
		peer.replica.doc.on('update', (update: Uint8Array, origin: unknown) => {
			if (origin !== REMOTE && peer.online) submit(peer, update);
		});
	}
	const reconnect = (peer: Peer): void => {
		peer.online = true;
		// Sync step 2 both ways: the replica sends what the server lacks, then catches up.
		submit(peer, syncStep2(peer.replica, server));
		Y.applyUpdate(
			peer.replica.doc,
			Y.encodeStateAsUpdate(server.doc, Y.encodeStateVector(peer.replica.doc)),
			REMOTE
		);
	};

	for (const op of ops) {
		const peer = peers[op.who];
		if (!peer) continue;
		const { replica } = peer;
		const userId = replica.userId;
		const all = replica.messages.toArray() as { id: string; author: string }[];
		const own = all.filter((m) => m.author === userId);
		const n = ++counter;
		const ts = TS + n;
		switch (op.kind) {
			case 'send': {
				const message = { id: nextId(), author: userId, text: op.text, ts };
				const files = [
					{ id: 'photophotophotophotophot', name: 'photo.png', type: 'image/png', size: n }
				];
				replica.messages.push([op.withFile ? { ...message, files } : message]);
				break;
			}
			case 'edit': {
				const target = own[op.pick % Math.max(1, own.length)];
				if (target) replica.changes.set(target.id, { text: op.text, ts });
				break;
			}
			case 'delete': {
				const target = own[op.pick % Math.max(1, own.length)];
				if (target) replica.changes.set(target.id, { deleted: true, ts });
				break;
			}
			case 'react': {
				const target = all[op.pick % Math.max(1, all.length)];
				if (target) replica.reactions.set(`${target.id}|${op.emoji}|${userId}`, ts);
				break;
			}
			case 'unreact': {
				const mine = [...replica.reactions.keys()].filter((key) => key.endsWith(`|${userId}`));
				const key = mine[op.pick % Math.max(1, mine.length)];
				if (key !== undefined) replica.reactions.delete(key);
				break;
			}
			case 'read': {
				const last = all.at(-1);
				if (last) replica.reads.set(userId, { upTo: last.id, ts });
				break;
			}
			case 'disconnect':
				peer.online = false;
				break;
			case 'reconnect':
				reconnect(peer);
				break;
		}
	}

	// Everyone reconnects, twice round so each sees everyone else's offline work.
	for (const peer of peers) peer.online = false;
	for (const peer of peers) reconnect(peer);
	for (const peer of peers) reconnect(peer);
	const snapshot = (doc: Y.Doc): unknown => ({
		messages: doc.getArray('messages').toJSON(),
		changes: doc.getMap('changes').toJSON(),
		reactions: doc.getMap('reactions').toJSON(),
		reads: doc.getMap('reads').toJSON()
	});
	const expected = snapshot(server.doc);
	for (const peer of peers) expect(snapshot(peer.replica.doc)).toEqual(expected);
	return refusals;
}

describe('the gate with honest replicas', () => {
	it(
		'accepts every update honest replicas send, and they all converge',
		{ timeout: 60_000 },
		() => {
			fc.assert(
				fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
					expect(run(ops)).toEqual([]);
				}),
				{ numRuns: 500 }
			);
		}
	);
});

describe('the gate with a hostile member mutating honest updates', () => {
	const VICTIM = USERS[0] ?? '';
	const MALLORY = USERS[1] ?? '';

	/** A room where the victim has a message, an edit, a reaction and a read receipt. */
	function victimRoom(
		victimClient: number,
		malloryClient: number
	): { server: GateServer; mallory: Replica; victimMessageId: string } {
		const server = new GateServer();
		const victim = createReplica(VICTIM, victimClient);
		const victimMessageId = '00000000-0000-4000-8000-00000000f00d';
		victim.messages.push([{ id: victimMessageId, author: VICTIM, text: 'mine', ts: TS + 1 }]);
		victim.changes.set(victimMessageId, { text: 'mine!', ts: TS + 2 });
		victim.reactions.set(`${victimMessageId}|👍|${VICTIM}`, TS + 3);
		victim.reads.set(VICTIM, { upTo: victimMessageId, ts: TS + 4 });
		expect(server.submit(VICTIM, Y.encodeStateAsUpdate(victim.doc)).ok).toBe(true);
		const mallory = createReplica(MALLORY, malloryClient);
		Y.applyUpdate(mallory.doc, server.state());
		return { server, mallory, victimMessageId };
	}

	/** Honest updates by Mallory to mutate, each against the same starting room. */
	function honestUpdates(mallory: Replica, victimMessageId: string): Uint8Array[] {
		const id = '00000000-0000-4000-8000-00000000beef';
		return [
			capture(mallory.doc, () =>
				mallory.messages.push([{ id, author: MALLORY, text: 'hi', ts: TS + 5 }])
			),
			capture(mallory.doc, () => mallory.changes.set(id, { text: 'hey', ts: TS + 6 })),
			capture(mallory.doc, () => mallory.reactions.set(`${victimMessageId}|🎉|${MALLORY}`, TS + 7)),
			capture(mallory.doc, () => mallory.reactions.delete(`${victimMessageId}|🎉|${MALLORY}`)),
			capture(mallory.doc, () => mallory.reads.set(MALLORY, { upTo: id, ts: TS + 8 }))
		];
	}

	const mutation = fc.record({
		// Part of the input, so a failing run replays exactly (they shape the bytes).
		victimClient: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
		malloryClient: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
		which: fc.nat(4),
		prefix: fc.nat(4),
		kind: fc.constantFrom('flip', 'truncate', 'splice', 'byte'),
		at: fc.nat(),
		bits: fc.integer({ min: 1, max: 255 }),
		noise: fc.uint8Array({ minLength: 1, maxLength: 8 })
	});

	type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

	function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
		const at = bytes.length === 0 ? 0 : m.at % bytes.length;
		const copy = bytes.slice();
		switch (m.kind) {
			case 'flip':
				copy[at] = (copy[at] ?? 0) ^ m.bits;
				return copy;
			case 'byte':
				copy[at] = m.bits;
				return copy;
			case 'truncate':
				return copy.subarray(0, at);
			default: {
				const out = new Uint8Array(copy.length + m.noise.length);
				out.set(copy.subarray(0, at));
				out.set(m.noise, at);
				out.set(copy.subarray(at), at + m.noise.length);
				return out;
			}
		}
	}

	it('never lets a mutated update touch what belongs to someone else', { timeout: 60_000 }, () => {
		fc.assert(
			fc.property(mutation, (m) => {
				fc.pre(m.victimClient !== m.malloryClient);
				const { server, mallory, victimMessageId } = victimRoom(m.victimClient, m.malloryClient);
				const updates = honestUpdates(mallory, victimMessageId);
				// Earlier updates in the sequence go in honestly, so mutations hit later states too.
				for (const update of updates.slice(0, Math.min(m.prefix, m.which))) {
					expect(server.submit(MALLORY, update).ok).toBe(true);
				}
				const verdict = server.submit(MALLORY, mutate(updates[m.which] ?? new Uint8Array(), m));
				expect(typeof verdict.ok).toBe('boolean');
				const doc = server.doc;
				expect(
					[...doc.share.keys()].every((root) =>
						['messages', 'changes', 'reactions', 'reads'].includes(root)
					)
				).toBe(true);
				const messages = doc.getArray('messages').toArray() as Record<string, unknown>[];
				// Where a new message lands is not the gate's business (Yjs orders concurrent
				// inserts by clientID); that the victim's stays, unchanged and alone, is.
				const victims = messages.filter((message) => message.author !== MALLORY);
				expect(victims).toEqual([
					{ id: victimMessageId, author: VICTIM, text: 'mine', ts: TS + 1 }
				]);
				expect(doc.getMap('changes').get(victimMessageId)).toEqual({ text: 'mine!', ts: TS + 2 });
				expect(doc.getMap('reactions').get(`${victimMessageId}|👍|${VICTIM}`)).toBe(TS + 3);
				expect(doc.getMap('reads').get(VICTIM)).toEqual({ upTo: victimMessageId, ts: TS + 4 });
				for (const key of doc.getMap('reactions').keys())
					expect(key.endsWith(`|${VICTIM}`) || key.endsWith(`|${MALLORY}`)).toBe(true);
				expect(
					[...doc.getMap('reads').keys()].every((key) => key === VICTIM || key === MALLORY)
				).toBe(true);
			}),
			{ numRuns: 2500 }
		);
	});
});
