/**
 * Rule 7 (docs/design.md "Signed items"): messages, changes, reactions and read marks are
 * signed by an active device of their author over their canonical bytes for this room; the
 * gate refuses a forged, moved, foreign or (when required) missing signature.
 */
import { describe, expect, it } from 'vitest';
import { reactionKey } from '../../src/lib/protocol/schema';
import { createSession, encryptItem } from '../../src/lib/protocol/sender-keys';
import { encodePayload } from '../../src/lib/protocol/payload';
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

	it('in an encrypted room refuses plain messages and edits; in a plain room encrypted ones', () => {
		const sealed = (itemId: string, kind: 'message' | 'change') =>
			encryptItem(
				createSession(new Uint8Array(48).fill(5)),
				{ roomId: ROOM, kind, itemId, author: ALICE },
				encodePayload({ text: 'x' }),
				new Uint8Array(24)
			).enc;
		const room = (encrypted: boolean) =>
			new GateServer({
				encrypted,
				signatures: { roomId: ROOM, required: true, deviceOf: (id) => DEVICES.get(id) }
			});
		const draft = message(ALICE, '');
		const secret = signedMessage(alice.signer, ROOM, {
			...draft,
			enc: sealed(draft.id, 'message')
		});
		const plain = signedMessage(alice.signer, ROOM, message(ALICE, 'in the clear'));

		const encryptedRoom = room(true);
		const tab = createReplica(ALICE);
		expectRefused(
			encryptedRoom.submitChange(tab, () => tab.messages.push([plain])),
			/^rule 2: an encrypted room’s message is encrypted/
		);
		const ok = freshReplica(ALICE, encryptedRoom);
		expect(encryptedRoom.submitChange(ok, () => ok.messages.push([secret])).ok).toBe(true);
		const plainEdit = signedChange(alice.signer, ROOM, secret.id, ALICE, { text: 'leak', ts: TS });
		const editTab = freshReplica(ALICE, encryptedRoom);
		expectRefused(
			encryptedRoom.submitChange(editTab, () => editTab.changes.set(secret.id, plainEdit)),
			/^rule 4: an encrypted room’s edit is encrypted/
		);
		// A delete carries no content: admitted as it is.
		const del = signedChange(alice.signer, ROOM, secret.id, ALICE, { deleted: true, ts: TS });
		const delTab = freshReplica(ALICE, encryptedRoom);
		expect(encryptedRoom.submitChange(delTab, () => delTab.changes.set(secret.id, del)).ok).toBe(
			true
		);

		const plainRoom = room(false);
		const other = createReplica(ALICE);
		expectRefused(
			plainRoom.submitChange(other, () => other.messages.push([secret])),
			/^rule 2: a plain room’s message is not encrypted/
		);
	});
});
