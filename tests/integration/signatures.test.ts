/**
 * Gate rule 7 end to end (docs/design.md "Signed items"), on a server with
 * REQUIRE_SIGNATURES=1: a message signed by a registered device of its author is stored and
 * relayed; a missing, forged, foreign or removed device's signature is refused whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createPrivateRoom, registeredClient, type RegisteredClient as User } from '../support/api';
import { registerTestDevice, signedMessage, type TestDevice } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';
import { RawClient, captureUpdate, expectRefusedWhole } from './gate-raw-client';

let server: ServerHandle;
let ann: User;
let bob: User;
let annDevice: TestDevice;
let bobDevice: TestDevice;
let roomId: string;
let observer: RawClient;
const raws: RawClient[] = [];

async function connect(user: User): Promise<RawClient> {
	const raw = await RawClient.open({
		syncUrl: server.syncUrl,
		roomId,
		cookie: user.cookie ?? '',
		origin: server.url
	});
	raws.push(raw);
	await raw.sync(15_000);
	return raw;
}

function newMessage(author: string, text = 'hi') {
	return { id: crypto.randomUUID(), author, text, ts: Date.now() };
}

function push(raw: RawClient, value: unknown): Uint8Array {
	return captureUpdate(raw.doc, () => raw.doc.getArray('messages').push([value]));
}

function messageTexts(doc: Y.Doc): string[] {
	return doc
		.getArray<{ text?: unknown }>('messages')
		.toArray()
		.map((m) => String(m.text));
}

beforeAll(async () => {
	server = await startServer({ env: { REQUIRE_SIGNATURES: '1' }, startTimeoutMs: 60_000 });
	[ann, bob] = await Promise.all([registeredClient(server.url), registeredClient(server.url)]);
	[annDevice, bobDevice] = await Promise.all([registerTestDevice(ann), registerTestDevice(bob)]);
	roomId = await createPrivateRoom(bob, 'signed', [ann]);
	observer = await connect(bob);
}, 90_000);

afterAll(async () => {
	for (const raw of raws) raw.close();
	await server?.dispose();
});

describe('signed items at the gate', () => {
	it('stores and relays a message signed by a device of its author', async () => {
		const raw = await connect(ann);
		raw.sendUpdate(push(raw, signedMessage(annDevice, roomId, newMessage(ann.userId, 'signed'))));
		await observer.waitFor(
			() => messageTexts(observer.doc).includes('signed'),
			15_000,
			'the signed message at Bob'
		);
		expect(raw.denied).toEqual([]);
	});

	const forgeries: [string, RegExp, () => Promise<unknown>][] = [
		['an unsigned message', /rule 7: a message must be signed/, async () => newMessage(ann.userId)],
		[
			'a message changed after signing',
			/rule 7: a message’s signature does not verify/,
			async () => ({
				...signedMessage(annDevice, roomId, newMessage(ann.userId, 'pay 10')),
				text: 'pay 1000'
			})
		],
		[
			'a message signed with another member’s device',
			/rule 7: a message is signed by a device of its author/,
			async () => signedMessage(bobDevice, roomId, newMessage(ann.userId))
		],
		[
			'a message signed by a removed device',
			/rule 7: a message is signed by a removed device/,
			async () => {
				const old = await registerTestDevice(ann, 'old laptop');
				expect((await ann.delete(`/api/devices/${old.id}`)).status).toBe(204);
				return signedMessage(old, roomId, newMessage(ann.userId));
			}
		]
	];

	it.each(forgeries)('refuses %s whole', async (_name, reason, forge) => {
		const raw = await connect(ann);
		await expectRefusedWhole({
			raw,
			update: push(raw, await forge()),
			reason,
			observer: {
				doc: observer.doc,
				waitFor: (predicate, timeoutMs, what) => observer.waitFor(predicate, timeoutMs, what)
			},
			dataDir: server.dataDir,
			roomId,
			connectHonest: () => connect(ann),
			fence: signedMessage(annDevice, roomId, newMessage(ann.userId, 'fence')),
			timeoutMs: 20_000
		});
		raw.close();
	});
});
