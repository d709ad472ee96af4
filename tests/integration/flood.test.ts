/**
 * One socket must not flood the instance (issue 12): raw frames from a logged-in member against
 * the real server. Each flood ends with the flooder closed with 4429 (or its frames refused)
 * and honest members, in the flooded room or another, keep receiving everything. Figures (how
 * much latency a flood costs the others) are measured by `npm run bench -- flood`, not here.
 */
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createPrivateRoom, type RegisteredClient } from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { connectAs, type SyncClient } from '../support/sync-client';
import { RawClient, captureUpdate, storedLog } from './gate-raw-client';
import { awarenessFrame } from '../support/frames';

const MAX_MESSAGES_PER_UPDATE = 50;

let server: ServerHandle;
let alice: RegisteredClient;
let mallory: RegisteredClient;
let bob: RegisteredClient;
/** Alice and Mallory's room, with some history; Alice and Bob's room, where nobody floods. */
let floodedRoom: string;
let quietRoom: string;
const raws: RawClient[] = [];

async function openRaw(user: RegisteredClient, roomId: string): Promise<RawClient> {
	const raw = await RawClient.open({
		syncUrl: server.syncUrl,
		roomId,
		cookie: user.cookie ?? '',
		origin: server.url
	});
	raws.push(raw);
	return raw;
}

function message(author: string, text: string): Record<string, unknown> {
	return { id: crypto.randomUUID(), author, text, ts: Date.now() };
}

/** A sync step 1 frame (type 0, step 0) carrying the empty state vector: "send me everything". */
function emptyStep1(): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, 0);
	encoding.writeVarUint(encoder, 0);
	encoding.writeVarUint8Array(encoder, Y.encodeStateVector(new Y.Doc()));
	return encoding.toUint8Array(encoder);
}

/** Connects Alice and Bob to the quiet room and returns them synced. */
async function honestPair(): Promise<[SyncClient, SyncClient]> {
	const sender = connectAs(alice, server, quietRoom);
	const receiver = connectAs(bob, server, quietRoom);
	await Promise.all([
		sender.waitFor(() => sender.provider.synced, 5_000, 'alice synced'),
		receiver.waitFor(() => receiver.provider.synced, 5_000, 'bob synced')
	]);
	return [sender, receiver];
}

beforeAll(async () => {
	server = await startServer({
		// Rules 1–6 alone: this file's raw clients write unsigned items, as before signatures
		// (REQUIRE_SIGNATURES=0, the migration setting). Rule 7: signatures.test.ts.
		env: { MAX_MESSAGES_PER_UPDATE: String(MAX_MESSAGES_PER_UPDATE), REQUIRE_SIGNATURES: '0' }
	});
	[alice, mallory, bob] = await Promise.all([
		signingClient(server.url),
		signingClient(server.url),
		signingClient(server.url)
	]);
	floodedRoom = await createPrivateRoom(alice, 'flooded', [mallory]);
	quietRoom = await createPrivateRoom(alice, 'quiet', [bob]);
	// Some history, so a full answer to step 1 is worth flooding for (~100 KB).
	const writer = await openRaw(alice, floodedRoom);
	await writer.sync();
	for (let i = 0; i < 4; i++) {
		writer.sendUpdate(
			captureUpdate(writer.doc, () => {
				const list = writer.doc.getArray('messages');
				for (let m = 0; m < 50; m++)
					list.push([message(alice.userId, `${i}.${m} ${'x'.repeat(500)}`)]);
			})
		);
	}
	await writer.waitFor(
		() => storedLog(server.dataDir, floodedRoom).lastSeq >= 4,
		10_000,
		'history'
	);
	writer.close();
});

afterAll(async () => {
	for (const raw of raws) raw.close();
	await server?.dispose();
});

describe('flood protection', () => {
	it('answers repeated sync step 1 frames on one socket in full only once and closes the flood with 4429', async () => {
		const probe = await openRaw(mallory, floodedRoom);
		probe.send(emptyStep1());
		await probe.waitFor(() => probe.answers === 1, 5_000, 'the first answer');
		const fullAnswer = probe.step2Bytes;
		expect(fullAnswer).toBeGreaterThan(100_000);
		probe.close();

		const flooder = await openRaw(mallory, floodedRoom);
		for (let i = 0; i < 40; i++) flooder.send(emptyStep1());
		await flooder.waitFor(
			() => flooder.closeEvent !== null || flooder.answers >= 40,
			10_000,
			'a close or forty answers'
		);
		expect(flooder.closeEvent?.code).toBe(4429);
		// One full answer; anything after it carries only what this socket was not sent yet.
		expect(flooder.step2Bytes).toBeLessThan(fullAnswer * 1.5);
	});

	it('closes an awareness flood with 4429 while a pair in another room receives every message', async () => {
		const [sender, receiver] = await honestPair();
		try {
			const flooder = await openRaw(mallory, floodedRoom);
			const clientId = flooder.doc.clientID;
			const sent: string[] = [];
			for (let i = 0; i < 2_000 && flooder.open; i++) {
				flooder.send(awarenessFrame([{ clientId, clock: i + 1, state: { typing: i % 2 === 0 } }]));
				if (i % 100 === 0) sent.push(sender.send(`during the flood ${i}`).text);
			}
			await flooder.waitFor(() => flooder.closeEvent !== null, 10_000, 'the flooder closed');
			expect(flooder.closeEvent?.code).toBe(4429);
			const texts = (): string[] => receiver.messages().map((m) => m.text);
			await receiver.waitFor(
				() => sent.every((text) => texts().includes(text)),
				10_000,
				'every honest message at bob'
			);
			expect(texts()).toEqual(expect.arrayContaining(sent));
			expect(sender.closes).toEqual([]);
			expect(receiver.closes).toEqual([]);
		} finally {
			sender.destroy();
			receiver.destroy();
		}
	});

	it('refuses an update that creates more than MAX_MESSAGES_PER_UPDATE messages and stores one at the limit', async () => {
		const raw = await openRaw(mallory, floodedRoom);
		await raw.sync();
		const before = storedLog(server.dataDir, floodedRoom);
		const tooMany = captureUpdate(raw.doc, () => {
			const list = raw.doc.getArray('messages');
			for (let m = 0; m <= MAX_MESSAGES_PER_UPDATE; m++)
				list.push([message(mallory.userId, `m${m}`)]);
		});
		raw.sendUpdate(tooMany);
		await raw.waitFor(() => raw.denied.length > 0, 5_000, 'permission denied');
		expect(raw.denied[0]).toMatch(/^rule 6: more than 50 messages in one update/);
		expect(storedLog(server.dataDir, floodedRoom)).toEqual(before);

		const fresh = await openRaw(mallory, floodedRoom);
		await fresh.sync();
		const atLimit = captureUpdate(fresh.doc, () => {
			const list = fresh.doc.getArray('messages');
			for (let m = 0; m < MAX_MESSAGES_PER_UPDATE; m++)
				list.push([message(mallory.userId, `ok${m}`)]);
		});
		fresh.sendUpdate(atLimit);
		await fresh.waitFor(
			() => storedLog(server.dataDir, floodedRoom).lastSeq > before.lastSeq,
			5_000,
			'the update at the limit stored'
		);
		expect(fresh.denied).toEqual([]);
	});
});
