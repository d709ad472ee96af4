/**
 * Healing: after the server lost recent room data, a member's replica re-uploads it, other
 * people's structs included. The gate accepts that relay below each clientID's high-water mark,
 * judged as the clientID's owner, and refuses forgeries dressed up as relays.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkUpdate, type GateVerdict } from '../../sync-server/gate';
import { LIMITS, NOW_MS, TS, capture, createReplica, message, type Replica } from './gate-helpers';

const ALICE = 'alice00000000000000000001';
const BOB = 'bob0000000000000000000001';

/**
 * The sync server as far as the gate sees it: a room doc (which can be lost or restored from a
 * backup) and, kept apart from it like table client_ids, the owners and high-water marks.
 */
class HealingServer {
	doc = new Y.Doc();
	readonly owners = new Map<number, string>();
	readonly highWater = new Map<number, number>();

	submit(userId: string, update: Uint8Array): GateVerdict {
		const verdict = checkUpdate(this.doc, { userId }, update, LIMITS, this.owners, this.highWater, {
			nowMs: NOW_MS
		});
		if (verdict.ok) {
			for (const id of verdict.clientIds) if (!this.owners.has(id)) this.owners.set(id, userId);
			Y.applyUpdate(this.doc, verdict.update);
			// What rooms.ts does in the commit transaction (client_ids.max_clock).
			for (const [id, clock] of verdict.clocks) {
				this.highWater.set(id, Math.max(this.highWater.get(id) ?? 0, clock));
			}
		}
		return verdict;
	}

	/** The room data is replaced by `backup` (or emptied); owners and marks stay. */
	restore(backup?: Uint8Array): void {
		this.doc = new Y.Doc();
		if (backup) Y.applyUpdate(this.doc, backup);
	}

	/** Sync step 2 of `replica` against this server: all it lacks, with the whole delete set. */
	stepTwo(replica: Replica): Uint8Array {
		return Y.encodeStateAsUpdate(replica.doc, Y.encodeStateVector(this.doc));
	}

	view(): unknown {
		return view(this.doc);
	}
}

function view(doc: Y.Doc): unknown {
	return {
		messages: doc.getArray('messages').toJSON(),
		changes: doc.getMap('changes').toJSON(),
		reactions: doc.getMap('reactions').toJSON(),
		reads: doc.getMap('reads').toJSON()
	};
}

function expectAccepted(verdict: GateVerdict): void {
	expect(verdict.ok ? 'accepted' : verdict.reason).toBe('accepted');
}

function expectRefused(verdict: GateVerdict, rule: RegExp): void {
	expect(verdict.ok).toBe(false);
	if (!verdict.ok) expect(verdict.reason).toMatch(rule);
}

/** Sends `change` made on `replica` through the server and delivers it to `others`. */
function act(server: HealingServer, replica: Replica, others: Replica[], change: () => void): void {
	const update = capture(replica.doc, change);
	expectAccepted(server.submit(replica.userId, update));
	for (const other of others) Y.applyUpdate(other.doc, update);
}

/** Alice and Bob chat: messages, an edit, reactions, read receipts, all through the server. */
function conversation() {
	const server = new HealingServer();
	const alice = createReplica(ALICE);
	const bob = createReplica(BOB);
	const first = message(ALICE, 'hi bob');
	const reply = message(BOB, 'hi alice');
	const second = message(ALICE, 'how are you?');
	act(server, alice, [bob], () => alice.messages.push([first]));
	act(server, bob, [alice], () => bob.messages.push([reply]));
	act(server, alice, [bob], () => {
		alice.messages.push([second]);
		alice.reads.set(ALICE, { upTo: reply.id, ts: TS + 1 });
	});
	act(server, alice, [bob], () => alice.changes.set(first.id, { text: 'hi Bob', ts: TS + 2 }));
	act(server, bob, [alice], () => {
		bob.reactions.set(`${second.id}|👍|${BOB}`, TS + 3);
		bob.reads.set(BOB, { upTo: second.id, ts: TS + 3 });
	});
	act(server, alice, [bob], () => alice.reactions.set(`${reply.id}|🎉|${ALICE}`, TS + 4));
	return { server, alice, bob, first, reply, second };
}

/** A replica for Bob's user whose doc writes with Alice's clientID: how a forger would work. */
function forgerWithClientOf(victim: Replica, state?: Uint8Array): Replica {
	const forger = createReplica(BOB);
	if (state) Y.applyUpdate(forger.doc, state);
	// After the state: Yjs picks a new clientID when an update brings structs under its own.
	forger.doc.clientID = victim.doc.clientID;
	return forger;
}

describe('healing: the gate tells a faithful relay from a forgery', () => {
	it('accepts another member’s whole replica after the server lost the room, and the room is whole again', () => {
		const { server, bob } = conversation();
		const before = server.view();
		server.restore();

		expectAccepted(server.submit(BOB, server.stepTwo(bob)));
		expect(server.view()).toEqual(before);
		expect(server.view()).toEqual(view(bob.doc));
	});

	it('heals a restore from an older backup, overwritten values included', () => {
		const { server, alice, bob, reply, second } = conversation();
		const backup = Y.encodeStateAsUpdate(server.doc);
		act(server, alice, [bob], () => {
			alice.messages.push([message(ALICE, 'after the backup')]);
			alice.reads.set(ALICE, { upTo: second.id, ts: TS + 5 });
			alice.changes.set(second.id, { deleted: true, ts: TS + 6 });
		});
		act(server, bob, [alice], () => bob.changes.set(reply.id, { text: 'hi Alice', ts: TS + 7 }));
		const before = server.view();
		server.restore(backup);
		expect(server.view()).not.toEqual(before);

		expectAccepted(server.submit(BOB, server.stepTwo(bob)));
		expect(server.view()).toEqual(before);
	});

	it('leaves out, rather than refuses, a relayed deletion no write explains, until its owner syncs', () => {
		const { server, alice, bob, reply } = conversation();
		const backup = Y.encodeStateAsUpdate(server.doc);
		// Alice takes her reaction back: a pure deletion, lost with the rest.
		act(server, alice, [bob], () => alice.reactions.delete(`${reply.id}|🎉|${ALICE}`));
		act(server, alice, [bob], () => alice.messages.push([message(ALICE, 'lost too')]));
		server.restore(backup);

		const verdict = server.submit(BOB, server.stepTwo(bob));
		expectAccepted(verdict);
		expect(server.doc.getArray('messages').length).toBe(4);
		// Bob may not delete Alice's key: that part of his delete set is not applied...
		expect(server.doc.getMap('reactions').has(`${reply.id}|🎉|${ALICE}`)).toBe(true);
		// ...and Alice's own next sync brings it.
		expectAccepted(server.submit(ALICE, server.stepTwo(alice)));
		expect(server.view()).toEqual(view(alice.doc));
	});

	it('refuses the same relay with a message forged under the victim’s clientID beyond its mark', () => {
		const { server, alice, bob } = conversation();
		server.restore();
		const forger = forgerWithClientOf(alice, Y.encodeStateAsUpdate(bob.doc));
		forger.messages.push([message(ALICE, 'send me your password')]);

		const forged = Y.encodeStateAsUpdate(forger.doc);
		expectRefused(server.submit(BOB, forged), /^rule 5: clientID \d+ belongs to another user/);
		expect(server.doc.getArray('messages').length).toBe(0);
		// The faithful part alone still heals.
		expectAccepted(server.submit(BOB, server.stepTwo(bob)));
	});

	it('refuses writing beyond another user’s mark while the room is intact', () => {
		const { server, alice, bob } = conversation();
		const forger = forgerWithClientOf(alice, Y.encodeStateAsUpdate(bob.doc));
		const update = capture(forger.doc, () => forger.messages.push([message(BOB, 'mine')]));
		expectRefused(server.submit(BOB, update), /^rule 5/);
	});

	it('refuses a relayed message whose author is not the owner of its clientID', () => {
		const { server, alice } = conversation();
		server.restore();
		// Below Alice's mark, but Bob's words in Alice's name (as author) or his own under her id.
		for (const author of [BOB, 'carol00000000000000000001']) {
			const forger = forgerWithClientOf(alice);
			forger.messages.push([message(author, 'relayed?')]);
			expect(Y.getState(forger.doc.store, alice.doc.clientID)).toBeLessThanOrEqual(
				server.highWater.get(alice.doc.clientID) ?? 0
			);
			expectRefused(
				server.submit(BOB, Y.encodeStateAsUpdate(forger.doc)),
				/^rule 2: author must be the owner of the relayed clientID/
			);
		}
	});

	it('judges relayed map writes as their clientID’s owner', () => {
		const { server, alice, reply } = conversation();
		server.restore();
		const ownReply = message(BOB, 'bob’s own');
		const bobs = createReplica(BOB);
		act(server, bobs, [], () => bobs.messages.push([ownReply]));
		const state = Y.encodeStateAsUpdate(server.doc);
		// Under Alice's clientID, inside her mark: an edit of Bob's message, Bob's read receipt.
		const editor = forgerWithClientOf(alice, state);
		const edit = capture(editor.doc, () =>
			editor.changes.set(ownReply.id, { text: 'x', ts: TS + 1 })
		);
		expectRefused(server.submit(BOB, edit), /^rule 4: only a message’s author may change it/);
		const reader = forgerWithClientOf(alice, state);
		const read = capture(reader.doc, () => reader.reads.set(BOB, { upTo: reply.id, ts: TS + 1 }));
		expectRefused(server.submit(BOB, read), /^rule 4: write only your own read receipt/);
	});

	it('refuses a relay that deletes a message', () => {
		const { server, bob } = conversation();
		server.restore();
		const lossy = createReplica(BOB);
		Y.applyUpdate(lossy.doc, Y.encodeStateAsUpdate(bob.doc));
		lossy.messages.delete(0, 1);
		expectRefused(server.submit(BOB, Y.encodeStateAsUpdate(lossy.doc)), /^rule 3/);
	});

	it('accepts no relay at all without high-water marks (rule 5 as before)', () => {
		const { server, bob } = conversation();
		server.restore();
		const update = server.stepTwo(bob);
		const verdict = checkUpdate(server.doc, { userId: BOB }, update, LIMITS, server.owners);
		expectRefused(verdict, /^rule 5/);
	});

	it('reports, per clientID written, the clock after its last new struct', () => {
		const { server, alice, bob } = conversation();
		const marks = new Map(server.highWater);
		expect(marks.get(alice.doc.clientID)).toBe(Y.getState(alice.doc.store, alice.doc.clientID));
		expect(marks.get(bob.doc.clientID)).toBe(Y.getState(bob.doc.store, bob.doc.clientID));
		server.restore();
		const verdict = server.submit(BOB, server.stepTwo(bob));
		expectAccepted(verdict);
		if (verdict.ok) expect(new Map(verdict.clocks)).toEqual(marks);
	});
});
