/**
 * Property: honest replicas never trip the gate, and whatever the gate lets through converges.
 * Random interleavings of honest operations by 4 replicas (3 users; the first has two tabs),
 * with random disconnects and reconnects. fast-check prints the seed and the shrunk run on
 * failure; replay with fc.assert(..., { seed, path }).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { GateServer, createReplica, syncStep2, type Replica } from './gate-helpers';

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
			emoji: fc.constantFrom('👍', '🎉', 'ok', '❤️')
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
		const ts = ++counter;
		switch (op.kind) {
			case 'send': {
				const message = { id: nextId(), author: userId, text: op.text, ts };
				const files = [{ id: `f${ts}`, name: 'photo.png', type: 'image/png', size: ts }];
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
	it('accepts every update honest replicas send, and they all converge', () => {
		fc.assert(
			fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
				expect(run(ops)).toEqual([]);
			}),
			{ numRuns: 1000 }
		);
	});
});
