/**
 * Poisoned values against the real server (issue 12, "A room can be poisoned"): raw frames from
 * a member whose message or map value would break every member's room page (a file id that is
 * no upload of this room, a ts no Date holds, a reference that is no message id). Each is
 * refused with its rule 2 / rule 4 reason; nothing is stored, nothing reaches the other member.
 * A message naming an upload of this very room, as uploaded, passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import {
	createPrivateRoom,
	uploadTextFile,
	type RegisteredClient as User,
	type UploadedFile
} from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { connectAs, type SyncClient } from '../support/sync-client';
import { RawClient, captureUpdate, expectRefusedWhole } from './gate-raw-client';

const DAY_MS = 24 * 60 * 60 * 1000;

type Uploaded = UploadedFile;

let server: ServerHandle;
let mallory: User;
let bob: User;
let roomId: string;
let bobClient: SyncClient;
let bobMessageId: string;
/** Mallory's upload to this room, and one to a room of her own. */
let ownFile: Uploaded;
let otherRoomFile: Uploaded;
const raws: RawClient[] = [];

function upload(user: User, room: string, name: string): Promise<Uploaded> {
	return uploadTextFile(server.url, user, room, name, `contents of ${name}`);
}

async function connectMallory(): Promise<RawClient> {
	const raw = await RawClient.open({
		syncUrl: server.syncUrl,
		roomId,
		cookie: mallory.cookie ?? '',
		origin: server.url
	});
	raws.push(raw);
	await raw.sync();
	return raw;
}

function malloryMessage(fields: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		id: crypto.randomUUID(),
		author: mallory.userId,
		text: 'poison',
		ts: Date.now(),
		...fields
	};
}

const pushMessage =
	(fields: () => Record<string, unknown>) =>
	(doc: Y.Doc): Uint8Array =>
		captureUpdate(doc, () => doc.getArray('messages').push([malloryMessage(fields())]));

const withFile = (fields: () => Record<string, unknown>) =>
	pushMessage(() => ({ files: [{ ...ownFile, ...fields() }] }));

const poisons: [string, RegExp, (doc: Y.Doc) => Uint8Array][] = [
	['a file id "/x"', /^rule 2: a file id is an upload id/, withFile(() => ({ id: '/x' }))],
	['an empty file id', /^rule 2: a file id is an upload id/, withFile(() => ({ id: '' }))],
	[
		'a file id "../../../logout"',
		/^rule 2: a file id is an upload id/,
		withFile(() => ({ id: '../../../logout' }))
	],
	[
		'the file id of an upload to another room',
		/^rule 2: a file id names a file uploaded to this room/,
		pushMessage(() => ({ files: [otherRoomFile] }))
	],
	[
		'a well-formed file id never uploaded',
		/^rule 2: a file id names a file uploaded to this room/,
		withFile(() => ({ id: 'aaaaaaaaaaaaaaaaaaaaaaaa' }))
	],
	[
		'an upload of this room under another name',
		/^rule 2: a file’s name, type and size/,
		withFile(() => ({ name: 'invoice.pdf' }))
	],
	['ts 1e300', /^rule 2: message ts/, pushMessage(() => ({ ts: 1e300 }))],
	['a fractional ts', /^rule 2: message ts/, pushMessage(() => ({ ts: Date.now() + 0.5 }))],
	['a ts before 2020', /^rule 2: message ts/, pushMessage(() => ({ ts: Date.UTC(2019, 0, 1) }))],
	[
		'a ts two days ahead of the server',
		/^rule 2: message ts/,
		pushMessage(() => ({ ts: Date.now() + 2 * DAY_MS }))
	],
	['a replyTo that is no message id', /^rule 2: replyTo/, pushMessage(() => ({ replyTo: '/x' }))],
	[
		'a read mark whose upTo is no message id',
		/^rule 4: a read receipt’s upTo/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getMap('reads').set(mallory.userId, { upTo: '../../../logout', ts: Date.now() })
			)
	],
	[
		'a reaction whose ts is 1e300',
		/^rule 4: a reaction’s value/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getMap('reactions').set(`${bobMessageId}|👍|${mallory.userId}`, 1e300)
			)
	]
];

beforeAll(async () => {
	// Rules 1–6 alone: this file's raw clients write unsigned items, as before signatures
	// (REQUIRE_SIGNATURES=0, the migration setting). Rule 7: signatures.test.ts.
	server = await startServer({ env: { REQUIRE_SIGNATURES: '0' } });
	[mallory, bob] = await Promise.all([signingClient(server.url), signingClient(server.url)]);
	roomId = await createPrivateRoom(bob, 'poison', [mallory]);
	const malloryRoom = await createPrivateRoom(mallory, 'elsewhere');
	ownFile = await upload(mallory, roomId, 'notes.txt');
	otherRoomFile = await upload(mallory, malloryRoom, 'other.txt');
	bobClient = connectAs(bob, server, roomId);
	await bobClient.waitFor(() => bobClient.provider.synced, 5_000, 'bob synced');
	bobMessageId = bobClient.send('bob was here').id;
	await bobClient.waitForStored();
});

afterAll(async () => {
	for (const raw of raws) raw.close();
	bobClient?.destroy();
	await server?.dispose();
});

describe('the gate against poisoned values', () => {
	it.each(poisons)(
		'refuses %s: sender told, nothing stored or relayed',
		async (_name, reason, forge) => {
			const raw = await connectMallory();
			await expectRefusedWhole({
				raw,
				update: forge(raw.doc),
				reason,
				observer: bobClient,
				dataDir: server.dataDir,
				roomId,
				connectHonest: connectMallory,
				fence: malloryMessage({ text: 'fence' }) as { id: string }
			});
			raw.close();
		}
	);

	it('accepts a message naming an upload of this room as uploaded, and Bob gets it', async () => {
		const raw = await connectMallory();
		const message = malloryMessage({ text: 'see file', files: [ownFile] });
		raw.sendUpdate(captureUpdate(raw.doc, () => raw.doc.getArray('messages').push([message])));
		await bobClient.waitFor(
			() =>
				bobClient.doc
					.getArray<{ id: string }>('messages')
					.toArray()
					.some((m) => m.id === message.id),
			5_000,
			'the message with its file at bob'
		);
		expect(raw.denied).toEqual([]);
		raw.close();
	});
});
