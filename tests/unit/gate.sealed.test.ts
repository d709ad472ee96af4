/**
 * The gate after a seal (docs/design.md, "History segments"): the head no longer holds the
 * sealed messages, so rules 2 and 4 look their ids up in sealed history (`sealedAuthorOf`, in
 * the server table room_message_ids) when the head's own index does not have them.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { GateVerdict } from '../../sync-server/gate';
import { buildSeal } from '../../sync-server/seal';
import { GateServer, TS, createReplica, message, type Replica } from './gate-helpers';

const ALICE = 'alice00000000000000000001';
const BOB = 'bob0000000000000000000001';

/** A head of epoch 1: what the server holds after sealing epoch 0, and the sealed ids. */
class SealedServer extends GateServer {
	readonly sealed: ReadonlyMap<string, string>;
	lookups = 0;

	constructor(
		sealedHead: Uint8Array,
		sealedIds: readonly { id: string; author: string }[],
		withLookup = true
	) {
		super(
			withLookup
				? {
						sealedAuthorOf: (id: string) => {
							this.lookups++;
							return this.sealed.get(id);
						}
					}
				: {}
		);
		Y.applyUpdate(this.doc, sealedHead);
		this.sealed = new Map(sealedIds.map(({ id, author }) => [id, author]));
	}

	/** A replica of `userId` at this head (a client that reconnected after the 4409). */
	replica(userId: string): Replica {
		const replica = createReplica(userId);
		Y.applyUpdate(replica.doc, Y.encodeStateAsUpdate(this.doc));
		return replica;
	}
}

/** Epoch 0 with one message by each, Alice's edited once, sealed; the head of epoch 1. */
function sealedRoom(withLookup = true) {
	const old = new Y.Doc();
	const alice = createReplica(ALICE);
	const bob = createReplica(BOB);
	const aliceMessage = message(ALICE, 'old from alice');
	const bobMessage = message(BOB, 'old from bob');
	alice.messages.push([aliceMessage]);
	bob.messages.push([bobMessage]);
	alice.changes.set(aliceMessage.id, { text: 'edited before the seal', ts: TS + 5 });
	Y.applyUpdate(old, Y.encodeStateAsUpdate(alice.doc));
	Y.applyUpdate(old, Y.encodeStateAsUpdate(bob.doc));
	const seal = buildSeal(old, 100);
	const server = new SealedServer(seal.head, seal.messageIds, withLookup);
	// What Alice wrote herself in epoch 0, and then her replica with all the server sealed (a
	// stock client that missed the 4409).
	const aliceOwn = Y.encodeStateAsUpdate(alice.doc);
	Y.applyUpdate(alice.doc, Y.encodeStateAsUpdate(old));
	return { server, oldAlice: alice, aliceOwn, aliceMessage, bobMessage };
}

function expectRefused(verdict: GateVerdict, rule: RegExp): void {
	expect(verdict.ok).toBe(false);
	if (!verdict.ok) expect(verdict.reason).toMatch(rule);
}

describe('checkUpdate with sealed history', () => {
	it('refuses a new message that reuses a sealed id (rule 2) and accepts a fresh one', () => {
		const { server, aliceMessage } = sealedRoom();
		const alice = server.replica(ALICE);
		const reused = { ...message(ALICE, 'again'), id: aliceMessage.id };
		expectRefused(
			server.submitChange(alice, () => alice.messages.push([reused])),
			/^rule 2: message id already used/
		);
		expect(server.lookups).toBeGreaterThan(0);
		const fresh = createReplica(ALICE);
		Y.applyUpdate(fresh.doc, Y.encodeStateAsUpdate(server.doc));
		const next = message(ALICE, 'new in the head');
		expect(server.submitChange(fresh, () => fresh.messages.push([next])).ok).toBe(true);
		expect(server.doc.getArray('messages').toJSON()).toEqual([next]);
	});

	it('without the lookup the head alone would take the sealed id again and refuse its edit', () => {
		const { server, aliceMessage } = sealedRoom(false);
		const alice = server.replica(ALICE);
		expectRefused(
			server.submitChange(alice, () =>
				alice.changes.set(aliceMessage.id, { text: 'edited after the seal', ts: TS + 9 })
			),
			/^rule 4/
		);
		const other = server.replica(ALICE);
		const reused = { ...message(ALICE, 'again'), id: aliceMessage.id };
		expect(server.submitChange(other, () => other.messages.push([reused])).ok).toBe(true);
	});

	it('refuses a stock client’s re-upload of the sealed epoch into the head', () => {
		const { server, oldAlice, aliceOwn } = sealedRoom();
		const headBefore = Y.encodeStateAsUpdate(server.doc);
		// Her own epoch-0 writes: the ids are sealed.
		expectRefused(server.submit(ALICE, aliceOwn), /^rule 2: message id already used/);
		// Sync step 2 of the whole old replica against the head: everything the head lacks.
		// (Bob's old clientID is unclaimed in the new head, so his message reads as hers: also rule 2.)
		const update = Y.encodeStateAsUpdate(oldAlice.doc, Y.encodeStateVector(server.doc));
		expectRefused(server.submit(ALICE, update), /^rule 2: /);
		expect(Y.encodeStateAsUpdate(server.doc)).toEqual(headBefore);
	});

	it('accepts an edit of one’s own sealed message, also over the change carried into the head', () => {
		const { server, aliceMessage } = sealedRoom();
		const alice = server.replica(ALICE);
		// The carried change is the server's item: this edit's origin (rule 4 resolves its key).
		expect(alice.changes.get(aliceMessage.id)).toEqual({
			text: 'edited before the seal',
			ts: TS + 5
		});
		const verdict = server.submitChange(alice, () =>
			alice.changes.set(aliceMessage.id, { text: 'edited after the seal', ts: TS + 9 })
		);
		expect(verdict.ok).toBe(true);
		expect(server.doc.getMap('changes').get(aliceMessage.id)).toEqual({
			text: 'edited after the seal',
			ts: TS + 9
		});
		const deleted = server.submitChange(alice, () =>
			alice.changes.set(aliceMessage.id, { deleted: true, ts: TS + 10 })
		);
		expect(deleted.ok).toBe(true);
	});

	it('refuses an edit or delete of someone else’s sealed message (rule 4)', () => {
		const { server, bobMessage } = sealedRoom();
		const alice = server.replica(ALICE);
		expectRefused(
			server.submitChange(alice, () =>
				alice.changes.set(bobMessage.id, { text: 'mine', ts: TS + 9 })
			),
			/^rule 4: only a message’s author may change it/
		);
		// A replica without the refused edit (the next one would build on it).
		const again = server.replica(ALICE);
		expectRefused(
			server.submitChange(again, () =>
				again.changes.set(bobMessage.id, { deleted: true, ts: TS + 9 })
			),
			/^rule 4: only a message’s author may change it/
		);
		// Bob may.
		const bob = server.replica(BOB);
		expect(
			server.submitChange(bob, () =>
				bob.changes.set(bobMessage.id, { text: 'bob edits', ts: TS + 9 })
			).ok
		).toBe(true);
	});

	it('refuses an edit of an id neither the head nor sealed history knows', () => {
		const { server } = sealedRoom();
		const alice = server.replica(ALICE);
		expectRefused(
			server.submitChange(alice, () =>
				alice.changes.set(crypto.randomUUID(), { text: 'ghost', ts: TS + 1 })
			),
			/^rule 4/
		);
	});
});
