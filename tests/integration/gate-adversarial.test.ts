/**
 * The gate against a hostile member, end to end: raw frames from a logged-in member of the
 * room, against the real server. For each forgery: the sender is told (permission denied),
 * and neither the other member's replica nor the stored log changes.
 */
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createPrivateRoom, type RegisteredClient as User } from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { connectAs, type SyncClient } from '../support/sync-client';
import { RawClient, captureUpdate, expectRefusedWhole, storedLog } from './gate-raw-client';
import { awarenessFrame } from '../support/frames';

let server: ServerHandle;
let mallory: User;
let bob: User;
let roomId: string;
let bobClient: SyncClient;
let bobMessageId: string;
const raws: RawClient[] = [];

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

function newMessage(author: string, text = 'hi'): Record<string, unknown> {
	return { id: crypto.randomUUID(), author, text, ts: Date.now() };
}

/** Forgeries: each builds the bytes a hostile client sends from its synced copy of the room. */
const forgeries: [string, RegExp, (doc: Y.Doc) => Uint8Array][] = [
	[
		'a message in Bob’s name',
		/rule 2: author/,
		(doc) => captureUpdate(doc, () => doc.getArray('messages').push([newMessage(bob.userId)]))
	],
	[
		'deleting Bob’s message',
		/rule 3/,
		(doc) => captureUpdate(doc, () => doc.getArray('messages').delete(0, 1))
	],
	[
		'editing Bob’s message',
		/rule 4/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getMap('changes').set(bobMessageId, { text: 'pwned', ts: Date.now() })
			)
	],
	[
		'tombstoning Bob’s message',
		/rule 4/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getMap('changes').set(bobMessageId, { deleted: true, ts: Date.now() })
			)
	],
	[
		'reacting as Bob',
		/rule 4/,
		(doc) =>
			captureUpdate(doc, () => doc.getMap('reactions').set(`${bobMessageId}|👍|${bob.userId}`, 1))
	],
	[
		'writing Bob’s read receipt',
		/rule 4/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getMap('reads').set(bob.userId, { upTo: bobMessageId, ts: Date.now() })
			)
	],
	[
		'an unknown root',
		/rule 1: unknown root/,
		(doc) => captureUpdate(doc, () => doc.getArray('evil').push([1]))
	],
	[
		'a nested shared type in messages',
		/rule 1/,
		(doc) => captureUpdate(doc, () => doc.getArray('messages').push([new Y.Map()]))
	],
	[
		'a message over the length limit',
		/rule 2: message text longer/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getArray('messages').push([newMessage(mallory.userId, 'x'.repeat(4001))])
			)
	],
	[
		'a message reusing Bob’s message id',
		/rule 2: message id already used/,
		(doc) =>
			captureUpdate(doc, () =>
				doc.getArray('messages').push([{ ...newMessage(mallory.userId), id: bobMessageId }])
			)
	],
	[
		'writing with Bob’s clientID',
		/rule 5/,
		(doc) => {
			doc.clientID = bobClient.doc.clientID;
			return captureUpdate(doc, () => doc.getArray('messages').push([newMessage(mallory.userId)]));
		}
	],
	[
		'a delete set over Bob’s future messages',
		/does not have/,
		() => {
			// No structs; a delete set over clocks Bob has not used yet. Yjs would keep it pending
			// and delete Bob's next messages when they arrive.
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, 0);
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarUint(encoder, bobClient.doc.clientID);
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarUint(encoder, Y.getState(bobClient.doc.store, bobClient.doc.clientID) + 1);
			encoding.writeVarUint(encoder, 50);
			return encoding.toUint8Array(encoder);
		}
	],
	['bytes that are no Yjs update', /malformed/, () => new Uint8Array([7, 200, 200, 200, 1, 2, 3])]
];

/** A y-protocols awareness message (type 1) with the given entries. */
beforeAll(async () => {
	// Rules 1–6 alone: this file's raw clients write unsigned items, as before signatures
	// (REQUIRE_SIGNATURES=0, the migration setting). Rule 7: signatures.test.ts.
	server = await startServer({ env: { REQUIRE_SIGNATURES: '0' } });
	[mallory, bob] = await Promise.all([signingClient(server.url), signingClient(server.url)]);
	roomId = await createPrivateRoom(bob, 'gate', [mallory]);
	bobClient = connectAs(bob, server, roomId);
	await bobClient.waitFor(() => bobClient.provider.synced, 5_000, 'bob synced');
	bobMessageId = bobClient.send('bob was here').id;
	bobClient.doc.getMap('reads').set(bob.userId, { upTo: bobMessageId, ts: Date.now() });
	await bobClient.waitForStored();
});

afterAll(async () => {
	for (const raw of raws) raw.close();
	bobClient?.destroy();
	await server?.dispose();
});

describe('the gate against a hostile member', () => {
	it.each(forgeries)(
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
				fence: newMessage(mallory.userId, 'fence') as { id: string }
			});
			raw.close();
		}
	);

	it('does not let a member speak for another member’s presence', async () => {
		bobClient.provider.awareness.setLocalStateField('typing', false);
		const observer = connectAs(bob, server, roomId);
		try {
			await observer.waitFor(() => observer.provider.synced, 5_000, 'observer synced');
			const bobId = bobClient.doc.clientID;
			const states = (): Map<number, Record<string, unknown>> =>
				observer.provider.awareness.getStates() as Map<number, Record<string, unknown>>;
			await observer.waitFor(() => states().has(bobId), 5_000, 'bob’s presence');
			const raw = await connectMallory();
			const mine = raw.doc.clientID;
			raw.send(
				awarenessFrame([
					// Bob's clientID (his by rule 5), with a clock far ahead of his.
					{
						clientId: bobId,
						clock: 1_000_000,
						state: { user: { id: bob.userId, name: 'bob' }, typing: true }
					},
					{ clientId: mine, clock: 1, state: { typing: false } }
				])
			);
			await observer.waitFor(() => states().has(mine), 5_000, 'mallory’s presence');
			// Now Mallory's own entry claims to be Bob: the server puts her session's user in.
			raw.send(
				awarenessFrame([
					{
						clientId: mine,
						clock: 2,
						state: { user: { id: bob.userId, name: 'bob' }, typing: true }
					}
				])
			);
			await observer.waitFor(() => states().get(mine)?.typing === true, 5_000, 'mallory typing');
			expect(states().get(mine)).toEqual({
				user: { id: mallory.userId, name: mallory.username },
				typing: true
			});
			expect(states().get(bobId)?.typing).toBe(false);
		} finally {
			observer.destroy();
		}
	});

	it('closes a connection after repeated refusals', async () => {
		const raw = await connectMallory();
		for (let i = 0; i < 3; i++) {
			// A fresh doc each time: an update building on a refused one would lack its origin, a
			// gap the server answers with a resync, which is no offence.
			const doc = new Y.Doc();
			doc.getArray('evil').push([i]);
			raw.sendUpdate(Y.encodeStateAsUpdate(doc));
		}
		await raw.waitFor(() => raw.closeEvent !== null, 5_000, 'close');
		expect(raw.closeEvent?.code).toBe(4403);
	});

	it('closes a connection that sends a frame over MAX_FRAME_BYTES with 4413', async () => {
		const raw = await connectMallory();
		// Over the 256 KiB default but under twice it, where `ws` itself would cut with 1009.
		raw.sendUpdate(new Uint8Array(300 * 1024));
		await raw.waitFor(() => raw.closeEvent !== null, 5_000, 'close');
		expect(raw.closeEvent?.code).toBe(4413);
		expect(raw.denied).toEqual([]);
	});

	it('refuses a flood of updates and then closes the connection', async () => {
		const raw = await connectMallory();
		const logBefore = storedLog(server.dataDir, roomId);
		const started = performance.now();
		const messages = raw.doc.getArray('messages');
		// Well over UPDATES_BURST (60 by default), all at once.
		for (let i = 0; i < 200 && raw.open; i++) {
			raw.sendUpdate(
				captureUpdate(raw.doc, () => messages.push([newMessage(mallory.userId, `flood ${i}`)]))
			);
		}
		await raw.waitFor(() => raw.closeEvent !== null, 10_000, 'close');
		expect(raw.denied.some((reason) => /rule 6/.test(reason))).toBe(true);
		expect(raw.closeEvent?.code).toBe(4429);
		const logAfter = storedLog(server.dataDir, roomId);
		// The burst (60) plus what the bucket refilled (20/s) while the flood lasted.
		const refilled = Math.ceil((20 * (performance.now() - started)) / 1000);
		expect(logAfter.lastSeq - logBefore.lastSeq).toBeLessThanOrEqual(60 + refilled);
	});
});
