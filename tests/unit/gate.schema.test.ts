/**
 * Rule 2 and rule 4 values are exact (issue 12, "A room can be poisoned"): every field of a
 * message, change, reaction and read mark has the schema of src/lib/protocol/schema.ts, ts
 * inside [2020-01-01, server time + 1 day], and a file names an upload of this very room.
 */
import { describe, expect, it } from 'vitest';
import type { GateVerdict, UploadedFile } from '../../sync-server/gate';
import {
	GateServer,
	NOW_MS,
	TS,
	createReplica,
	freshReplica,
	message,
	pull,
	type Replica
} from './gate-helpers';

const ALICE = 'alice00000000000000000001';
const BOB = 'bob0000000000000000000001';
const DAY_MS = 24 * 60 * 60 * 1000;

/** An upload of this room (a well-formed id: 24 lower-case base32 characters). */
const OWN_FILE = { id: 'abcdefghijklmnopqrstuv23', name: 'a.png', type: 'image/png', size: 12 };
/** Well-formed, but uploaded to another room. */
const OTHER_ROOM_FILE = {
	id: 'zzzzzzzzzzzzzzzzzzzzzzzz',
	name: 'b.png',
	type: 'image/png',
	size: 9
};

function expectRefused(verdict: GateVerdict, rule: RegExp): void {
	expect(verdict.ok).toBe(false);
	if (!verdict.ok) expect(verdict.reason).toMatch(rule);
}

/** A room whose `files` table holds OWN_FILE; Alice and Bob each wrote one message. */
function room() {
	const uploads = new Map<string, UploadedFile>([[OWN_FILE.id, OWN_FILE]]);
	const server = new GateServer({ roomFileOf: (id) => uploads.get(id) });
	const alice = createReplica(ALICE);
	const bob = createReplica(BOB);
	const aliceMessage = message(ALICE, 'hi');
	expect(server.submitChange(alice, () => alice.messages.push([aliceMessage])).ok).toBe(true);
	pull(bob, server);
	const bobMessage = message(BOB, 'hello');
	expect(server.submitChange(bob, () => bob.messages.push([bobMessage])).ok).toBe(true);
	pull(alice, server);
	return { server, alice, bob, aliceMessage, bobMessage };
}

function sendAsAlice(override: Record<string, unknown>): {
	verdict: GateVerdict;
	before: unknown[];
	after: unknown[];
} {
	const { server, alice } = room();
	const before = server.doc.getArray('messages').toJSON();
	const verdict = server.submitChange(alice, () =>
		alice.messages.push([{ ...message(ALICE), ...override }])
	);
	return { verdict, before, after: server.doc.getArray('messages').toJSON() };
}

const file = (fields: Record<string, unknown>) => ({ files: [{ ...OWN_FILE, ...fields }] });

describe('checkUpdate: a message is exact in every field (rule 2)', () => {
	it('accepts a message naming a file uploaded to this room, with its upload’s fields', () => {
		const { verdict } = sendAsAlice({ files: [OWN_FILE] });
		expect(verdict.ok).toBe(true);
	});

	it('accepts a ts at the window’s edges: 2020-01-01 and server time + 1 day', () => {
		expect(sendAsAlice({ ts: Date.UTC(2020, 0, 1) }).verdict.ok).toBe(true);
		expect(sendAsAlice({ ts: NOW_MS + DAY_MS }).verdict.ok).toBe(true);
	});

	it.each([
		['a file id "/x"', file({ id: '/x' }), /rule 2: a file id is an upload id/],
		['an empty file id', file({ id: '' }), /rule 2: a file id is an upload id/],
		['a file id "../../../logout"', file({ id: '../../../logout' }), /rule 2: a file id/],
		['a file id in upper case', file({ id: OWN_FILE.id.toUpperCase() }), /rule 2: a file id/],
		[
			'a well-formed file id of another room',
			{ files: [OTHER_ROOM_FILE] },
			/rule 2: a file id names a file uploaded to this room/
		],
		[
			'a well-formed file id never uploaded',
			file({ id: 'aaaaaaaaaaaaaaaaaaaaaaaa' }),
			/rule 2: a file id names a file uploaded to this room/
		],
		['a file name other than its upload’s', file({ name: 'invoice.pdf' }), /rule 2: a file’s/],
		['a file size other than its upload’s', file({ size: 13 }), /rule 2: a file’s/],
		['an empty file name', file({ name: '' }), /rule 2: a file name has 1 to 255/],
		['a file type that is not a type', file({ type: 'Image/PNG; x=1' }), /rule 2: a file type/],
		['a file size of 0', file({ size: 0 }), /rule 2: a file size/],
		['a fractional file size', file({ size: 1.5 }), /rule 2: a file size/],
		[
			'a file size over MAX_UPLOAD_BYTES',
			file({ size: 25 * 1024 * 1024 + 1 }),
			/rule 2: a file size/
		],
		['ts 1e300', { ts: 1e300 }, /rule 2: message ts/],
		['a fractional ts', { ts: TS + 0.5 }, /rule 2: message ts/],
		['ts before 2020', { ts: Date.UTC(2019, 11, 31, 23, 59, 59) }, /rule 2: message ts/],
		['ts more than a day past server time', { ts: NOW_MS + DAY_MS + 1 }, /rule 2: message ts/],
		['ts NaN-like null', { ts: null }, /rule 2: message ts/],
		['replyTo that is not a UUID', { replyTo: 'not-a-message' }, /rule 2: replyTo is a message id/],
		['replyTo "/x"', { replyTo: '/x' }, /rule 2: replyTo/],
		['an empty author', { author: '' }, /rule 2: a message author/]
	])('refuses a message with %s and leaves the room unchanged', (_name, override, reason) => {
		const { verdict, before, after } = sendAsAlice(override);
		expectRefused(verdict, reason);
		expect(after).toEqual(before);
	});
});

describe('checkUpdate: map values are exact (rule 4)', () => {
	it.each<[string, (alice: Replica, messageId: string) => void, RegExp]>([
		['a change with ts 1e300', (a, id) => a.changes.set(id, { text: 'x', ts: 1e300 }), /rule 4/],
		['a change with ts 1.5', (a, id) => a.changes.set(id, { deleted: true, ts: 1.5 }), /rule 4/],
		['a change from before 2020', (a, id) => a.changes.set(id, { text: 'x', ts: 5 }), /rule 4/],
		[
			'a reaction with ts 1e300',
			(a, id) => a.reactions.set(`${id}|👍|${ALICE}`, 1e300),
			/rule 4: a reaction’s value/
		],
		[
			'a reaction with a ts a week ahead',
			(a, id) => a.reactions.set(`${id}|👍|${ALICE}`, NOW_MS + 7 * DAY_MS),
			/rule 4: a reaction’s value/
		],
		[
			'a read mark whose upTo is not a UUID',
			(a) => a.reads.set(ALICE, { upTo: '../../../logout', ts: TS }),
			/rule 4: a read receipt’s upTo/
		],
		[
			'a read mark with ts 1e300',
			(a, id) => a.reads.set(ALICE, { upTo: id, ts: 1e300 }),
			/rule 4: a read receipt has an integer ts/
		]
	])('refuses %s and leaves the maps unchanged', (_name, change, reason) => {
		const { server, aliceMessage } = room();
		const before = JSON.stringify(server.doc.toJSON());
		const alice = freshReplica(ALICE, server);
		expectRefused(
			server.submitChange(alice, () => change(alice, aliceMessage.id)),
			reason
		);
		expect(JSON.stringify(server.doc.toJSON())).toBe(before);
	});

	it('accepts an edit, a reaction and a read mark with a ts in the window', () => {
		const { server, aliceMessage, bobMessage } = room();
		const alice = freshReplica(ALICE, server);
		const verdict = server.submitChange(alice, () => {
			alice.changes.set(aliceMessage.id, { text: 'edited', ts: TS });
			alice.reactions.set(`${bobMessage.id}|👍|${ALICE}`, TS);
			alice.reads.set(ALICE, { upTo: bobMessage.id, ts: TS });
		});
		expect(verdict.ok).toBe(true);
	});
});
