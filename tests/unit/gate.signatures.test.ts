/**
 * Rule 7 (docs/design.md "Signed items"): messages, changes, reactions and read marks are
 * signed by an active device of their author over their canonical bytes for this room; the
 * gate refuses a forged, moved, foreign or (when required) missing signature.
 */
import { describe, expect, it } from 'vitest';
import { reactionKey } from '../../src/lib/protocol/schema';
import { createSession, encodePayload, encryptItem } from '../../src/lib/protocol/sender-keys';
import { signingDevice } from '../../src/lib/server/devices';
import type { Device } from '../../src/lib/server/storage/types';
import type { GateVerdict, SigningDevice } from '../../sync-server/gate';
import {
	makeDeviceKeys,
	signedChange,
	signedMessage,
	signedReaction,
	signedRead,
	type Signer
} from '../support/device';
import { GateServer, TS, createReplica, freshReplica, message, type Replica } from './gate-helpers';

const ROOM = 'room0000000000000000000a';
const ALICE = 'alice00000000000000000001';
const BOB = 'bob0000000000000000000001';

/** A registered device of `userId` and the gate's view of it. */
function device(id: string, userId: string, removedAt: number | null = null) {
	const keys = makeDeviceKeys();
	const record: Device = { id, userId, name: id, createdAt: 0, removedAt, ...keys };
	const checked = signingDevice(record);
	if (!checked) throw new Error('bad key');
	const signer: Signer = { id, sign: keys.sign };
	return { signer, checked };
}

const alice = device('aaaaaaaaaaaaaaaaaaaaaaa2', ALICE);
const bob = device('bbbbbbbbbbbbbbbbbbbbbbb2', BOB);
const removed = device('ccccccccccccccccccccccc2', ALICE, 1);
const DEVICES = new Map<string, SigningDevice>(
	[alice, bob, removed].map(({ signer, checked }) => [signer.id, checked])
);

function server(required = true): GateServer {
	return new GateServer({
		signatures: { roomId: ROOM, required, deviceOf: (id) => DEVICES.get(id) }
	});
}

function expectRefused(verdict: GateVerdict, reason: RegExp): void {
	expect(verdict.ok).toBe(false);
	if (!verdict.ok) expect(verdict.reason).toMatch(reason);
}

describe('rule 7: signed items', () => {
	it('admits a message signed by a device of its author', () => {
		const gate = server();
		const replica = createReplica(ALICE);
		const verdict = gate.submitChange(replica, () =>
			replica.messages.push([signedMessage(alice.signer, ROOM, message(ALICE, 'signed'))])
		);
		expect(verdict.ok).toBe(true);
	});

	it('refuses an unsigned message when signatures are required, admits it otherwise', () => {
		const replica = createReplica(ALICE);
		const push = () => replica.messages.push([message(ALICE, 'unsigned')]);
		expectRefused(server(true).submitChange(replica, push), /^rule 7: a message must be signed/);
		const legacy = createReplica(ALICE);
		expect(
			server(false).submitChange(legacy, () => legacy.messages.push([message(ALICE, 'old')])).ok
		).toBe(true);
	});

	it('refuses a message whose text changed after signing, even when signatures are optional', () => {
		const signed = signedMessage(alice.signer, ROOM, message(ALICE, 'pay 10'));
		const replica = createReplica(ALICE);
		expectRefused(
			server(false).submitChange(replica, () =>
				replica.messages.push([{ ...signed, text: 'pay 1000' }])
			),
			/rule 7: a message’s signature does not verify/
		);
	});

	it('refuses a signature made for another room', () => {
		const signed = signedMessage(alice.signer, 'another-room', message(ALICE, 'moved'));
		const replica = createReplica(ALICE);
		expectRefused(
			server().submitChange(replica, () => replica.messages.push([signed])),
			/does not verify/
		);
	});

	it('refuses a message signed with another user’s device, an unknown or a removed one', () => {
		for (const signer of [
			bob.signer,
			removed.signer,
			{ id: 'ddddddddddddddddddddddd2', sign: alice.signer.sign }
		]) {
			const replica = createReplica(ALICE);
			expectRefused(
				server().submitChange(replica, () =>
					replica.messages.push([signedMessage(signer, ROOM, message(ALICE))])
				),
				/rule 7: a message is signed by (a device of its author|a removed device)/
			);
		}
	});

	it('refuses a malformed signature under the schema', () => {
		const replica = createReplica(ALICE);
		const value = { ...message(ALICE), device: alice.signer.id, sig: 'short' };
		expectRefused(
			server(false).submitChange(replica, () => replica.messages.push([value])),
			/^rule 2: a signature is 64 bytes/
		);
	});

	it('checks edits, deletes, reactions and read marks the same way', () => {
		const gate = server();
		const replica = createReplica(ALICE);
		const own = signedMessage(alice.signer, ROOM, message(ALICE, 'first'));
		expect(gate.submitChange(replica, () => replica.messages.push([own])).ok).toBe(true);
		const key = reactionKey(own.id, '👍', ALICE);

		const edit = signedChange(alice.signer, ROOM, own.id, ALICE, { text: 'edited', ts: TS });
		expect(gate.submitChange(replica, () => replica.changes.set(own.id, edit)).ok).toBe(true);
		const del = signedChange(alice.signer, ROOM, own.id, ALICE, { deleted: true, ts: TS + 1 });
		expect(gate.submitChange(replica, () => replica.changes.set(own.id, del)).ok).toBe(true);
		const reaction = signedReaction(alice.signer, ROOM, key, TS);
		expect(gate.submitChange(replica, () => replica.reactions.set(key, reaction)).ok).toBe(true);
		const read = signedRead(alice.signer, ROOM, ALICE, { upTo: own.id, ts: TS });
		expect(gate.submitChange(replica, () => replica.reads.set(ALICE, read)).ok).toBe(true);

		// Each refused attempt from a fresh tab: a refused change stays in its replica.
		const attempt = (change: (replica: Replica) => void): GateVerdict => {
			const tab = freshReplica(ALICE, gate);
			return gate.submitChange(tab, () => change(tab));
		};
		expectRefused(
			attempt((replica) => replica.changes.set(own.id, { text: 'bare', ts: TS })),
			/^rule 7: a change must be signed/
		);
		expectRefused(
			attempt((replica) => replica.reactions.set(key, TS)),
			/^rule 7: a reaction must be signed/
		);
		expectRefused(
			attempt((replica) => replica.reads.set(ALICE, { upTo: own.id, ts: TS })),
			/^rule 7: a read mark must be signed/
		);
		// A signed value replayed under another key of the same owner does not verify.
		const otherKey = reactionKey(own.id, '🎉', ALICE);
		expectRefused(
			attempt((replica) => replica.reactions.set(otherKey, reaction)),
			/^rule 7: a reaction’s signature does not verify/
		);
		expectRefused(
			attempt((replica) => replica.changes.set(own.id, { ...edit, text: 'forged' })),
			/^rule 7: a change’s signature does not verify/
		);
	});

	it('admits an encrypted message and edit signed over their ciphertext; refuses a swapped one', () => {
		const gate = server();
		const replica = createReplica(ALICE);
		let session = createSession(new Uint8Array(48).fill(3));
		const seal = (itemId: string, kind: 'message' | 'change', text: string) => {
			const context = { roomId: ROOM, kind, itemId, author: ALICE };
			const sealed = encryptItem(session, context, encodePayload({ text }), new Uint8Array(24));
			session = sealed.next;
			return sealed.enc;
		};
		const draft = message(ALICE, '');
		const own = signedMessage(alice.signer, ROOM, {
			...draft,
			enc: seal(draft.id, 'message', 'x')
		});
		expect(gate.submitChange(replica, () => replica.messages.push([own])).ok).toBe(true);
		const edit = signedChange(alice.signer, ROOM, own.id, ALICE, {
			enc: seal(own.id, 'change', 'y'),
			ts: TS
		});
		expect(gate.submitChange(replica, () => replica.changes.set(own.id, edit)).ok).toBe(true);

		// Another ciphertext under the first one's signature: refused, as a changed text is.
		const next = message(ALICE, '');
		const signed = signedMessage(alice.signer, ROOM, {
			...next,
			enc: seal(next.id, 'message', 'a')
		});
		const swapped = { ...signed, enc: seal(next.id, 'message', 'b') };
		const tab = freshReplica(ALICE, gate);
		expectRefused(
			gate.submitChange(tab, () => tab.messages.push([swapped])),
			/^rule 7: a message’s signature does not verify/
		);
		// Plain text beside the ciphertext is refused by the schema.
		const leaky = freshReplica(ALICE, gate);
		expectRefused(
			gate.submitChange(leaky, () => leaky.messages.push([{ ...signed, text: 'plain' }])),
			/^rule 2: an encrypted message’s text is empty/
		);
	});
});
