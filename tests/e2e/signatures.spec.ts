/**
 * Signed items and safety numbers in real browsers (docs/design.md, "Signed items", "Safety
 * numbers"): a browser signs what it writes and the other member's browser verifies it; the
 * gate refuses a forged signature; a replica marks what does not verify and what was written
 * before signatures; two users compare one safety number and see when a verified contact's
 * devices change.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { BrowserContext, Page } from '@playwright/test';
import * as Y from 'yjs';
import { messageSigningBytes } from '../../src/lib/protocol/signatures';
import {
	makeDeviceKeys,
	registrationBody,
	signedMessage,
	type TestDevice
} from '../support/device';
import { storeAsSnapshot, storedRoomDoc, withServerStorage } from '../support/stored';
import { messageItem, sendMessage, syncClientOf } from './features-support';
import {
	addMember,
	createRoom,
	expect,
	roomName,
	roomOfTwo,
	test,
	type ChatUser
} from './fixtures';

interface PublishedDevice {
	readonly id: string;
	readonly signingKey: string;
}

/** The user's active devices, as any signed-in user reads them. */
async function devicesOf(context: BrowserContext, userId: string): Promise<PublishedDevice[]> {
	const response = await context.request.get(`/api/users/${userId}/devices`);
	expect(response.status()).toBe(200);
	return ((await response.json()) as { devices: PublishedDevice[] }).devices;
}

/** Opens a page so the browser makes and registers its device (the layout does, once). */
async function withBrowserDevice(user: ChatUser): Promise<Page> {
	const page = await user.context.newPage();
	await page.goto('/');
	await expect.poll(async () => (await devicesOf(user.context, user.id)).length).toBe(1);
	return page;
}

/** Registers another device of the context's user through the API (a new browser of theirs). */
async function registerAnotherDevice(user: ChatUser): Promise<TestDevice> {
	const keys = makeDeviceKeys();
	const response = await user.context.request.post('/api/devices', {
		data: registrationBody(user.id, keys, 'a new phone')
	});
	expect(response.status()).toBe(201);
	const body = (await response.json()) as { device: { id: string } };
	return { ...keys, id: body.device.id };
}

test('a message from a browser is stored signed by its device and verifies in the other browser', async ({
	newUser,
	server
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Signed');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await sendMessage(alicePage, 'signed by my browser');

	const seen = messageItem(bobPage, name, 'signed by my browser');
	await expect(seen).toHaveAttribute('data-authenticity', 'verified');
	await expect(seen).not.toContainText('Unverified');
	await expect(seen).not.toContainText('Unsigned');

	// What the server stored carries the device and a signature that verifies with its key.
	const [device] = await devicesOf(bob.context, alice.id);
	if (!device) throw new Error('alice has no device');
	await expect
		.poll(() => {
			const doc = storedRoomDoc(server.dataDir, roomId);
			try {
				return doc.getArray('messages').length;
			} finally {
				doc.destroy();
			}
		})
		.toBe(1);
	const doc = storedRoomDoc(server.dataDir, roomId);
	const stored = doc.getArray<Record<string, unknown>>('messages').get(0);
	doc.destroy();
	expect(stored.device).toBe(device.id);
	const message = stored as unknown as Parameters<typeof messageSigningBytes>[1];
	const key = createPublicKey({
		key: { kty: 'OKP', crv: 'Ed25519', x: device.signingKey },
		format: 'jwk'
	});
	const sig = Buffer.from(String(stored.sig), 'base64url');
	expect(verify(null, messageSigningBytes(roomId, message, device.id), key, sig)).toBe(true);
});

/** Makes the context's WebCrypto refuse Ed25519 and X25519, as an older browser's does. */
async function withoutCurvesInWebCrypto(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const subtle = crypto.subtle;
		const curve = (algorithm: unknown) => {
			const name =
				typeof algorithm === 'string' ? algorithm : (algorithm as { name?: string }).name;
			return name === 'Ed25519' || name === 'X25519';
		};
		const generateKey = subtle.generateKey.bind(subtle);
		const importKey = subtle.importKey.bind(subtle);
		const refused = () =>
			Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError'));
		Object.assign(subtle, {
			generateKey: (algorithm: AlgorithmIdentifier, ...rest: [boolean, KeyUsage[]]) =>
				curve(algorithm) ? refused() : generateKey(algorithm, ...rest),
			importKey: (...args: Parameters<SubtleCrypto['importKey']>) =>
				curve(args[2]) ? refused() : importKey(...args)
		});
	});
}

test('browsers whose WebCrypto lacks Ed25519 sign and verify with the JavaScript implementation they fetch', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'No curves');
	await withoutCurvesInWebCrypto(alice.context);
	await withoutCurvesInWebCrypto(bob.context);
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await sendMessage(alicePage, 'signed by noble');
	// Stored: the gate verified the signature against the device alice registered.
	await expect(messageItem(alicePage, name, 'signed by noble')).toContainText(
		/Sent|Delivered|Read/
	);
	const seen = messageItem(bobPage, name, 'signed by noble');
	await expect(seen).toHaveAttribute('data-authenticity', 'verified');
	expect(await devicesOf(bob.context, alice.id)).toHaveLength(1);
});

test('a browser that cannot register its device yet still signs what it writes, under its key’s id; the message is stored once the device registers', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'First visit');
	const bobPage = await bob.openRoom(roomId);
	// The registration's request fails, as when the network drops on a first visit.
	let registrationFails = true;
	await alice.context.route('**/api/devices', (route) =>
		registrationFails ? route.abort('internetdisconnected') : route.continue()
	);
	const alicePage = await alice.context.newPage();
	await alicePage.goto(`/rooms/${roomId}`);
	await sendMessage(alicePage, 'signed before my device was registered');
	const own = messageItem(alicePage, name, 'signed before my device was registered');
	await expect(own).toContainText('Pending');
	// The socket waits for the device: the gate never sees a key it cannot know.
	await expect(alicePage.getByRole('status')).not.toHaveText('Online');
	expect(await devicesOf(bob.context, alice.id)).toEqual([]);

	registrationFails = false;
	await expect(own).toContainText(/Sent|Delivered|Read/, { timeout: 15_000 });
	await expect(alicePage.getByRole('status')).toHaveText('Online');
	expect(await devicesOf(bob.context, alice.id)).toHaveLength(1);
	const seen = messageItem(bobPage, name, 'signed before my device was registered');
	await expect(seen).toHaveAttribute('data-authenticity', 'verified');
	await expect(alicePage.getByRole('alert')).toHaveCount(0);
});

test('the gate refuses a forged signature, and the other member never sees the message', async ({
	newUser,
	server
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Forged');
	const bobPage = await bob.openRoom(roomId);
	const raw = await syncClientOf(alice.context, server.syncUrl, roomId, alice.id);
	try {
		const stranger = makeDeviceKeys();
		// Alice's registered device id, signed with a key that is not that device's.
		const registered = (await devicesOf(alice.context, alice.id)).at(-1);
		if (!registered) throw new Error('no device');
		raw.doc.getArray('messages').push([
			signedMessage({ id: registered.id, sign: stranger.sign }, roomId, {
				id: crypto.randomUUID(),
				author: alice.id,
				text: 'forged signature',
				ts: Date.now()
			})
		]);
		await raw.waitFor(() => raw.denied.length > 0, 10_000, 'a refusal');
		expect(raw.denied[0]).toBe('rule 7: a message’s signature does not verify');
	} finally {
		raw.destroy();
	}
	// A later honest message arrives, so the forged one would have arrived before it.
	const alicePage = await alice.openRoom(roomId);
	await sendMessage(alicePage, 'honest after the forgery');
	await expect(messageItem(bobPage, name, 'honest after the forgery')).toBeVisible();
	await expect(bobPage.getByRole('log', { name })).not.toContainText('forged signature');
});

test('a replica marks a message whose device is not its author’s as Unverified and an old one as Unsigned', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const mallory = await newUser('mallory');
	const name = roomName('Marks');
	const roomId = await createRoom(alice.context, name);
	await addMember(alice.context, roomId, mallory.username);
	const malloryDevice = await registerAnotherDevice(mallory);

	const message = (text: string) => ({
		id: crypto.randomUUID(),
		author: mallory.id,
		text,
		ts: Date.now()
	});
	const unknownDevice = { id: 'unknowndevice2345abcdefg', sign: makeDeviceKeys().sign };
	// Written into the room's log before it loads, bypassing the gate (as a replica could hold it).
	const doc = new Y.Doc();
	doc
		.getArray('messages')
		.push([
			signedMessage(unknownDevice, roomId, message('signed by no device of hers')),
			message('written before signatures'),
			signedMessage(malloryDevice, roomId, message('signed by her device'))
		]);
	await withServerStorage(server.dataDir, (storage) =>
		storeAsSnapshot(storage.roomLog, roomId, Y.encodeStateAsUpdate(doc))
	);
	doc.destroy();

	const page = await alice.openRoom(roomId);
	const unverified = messageItem(page, name, 'signed by no device of hers');
	await expect(unverified).toHaveAttribute('data-authenticity', 'unverified');
	await expect(unverified.getByText('Unverified', { exact: true })).toBeVisible();
	const unsigned = messageItem(page, name, 'written before signatures');
	await expect(unsigned).toHaveAttribute('data-authenticity', 'unsigned');
	await expect(unsigned.getByText('Unsigned', { exact: true })).toBeVisible();
	const verified = messageItem(page, name, 'signed by her device');
	await expect(verified).toHaveAttribute('data-authenticity', 'verified');
	await expect(verified).not.toContainText(/Unverified|Unsigned/);
});

test('two users see one safety number, mark it verified, and are warned when a device of the contact is added', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const alicePage = await withBrowserDevice(alice);
	const bobPage = await withBrowserDevice(bob);

	await alicePage.goto(`/users/${bob.id}`);
	await bobPage.goto(`/users/${alice.id}`);
	const aliceNumber = alicePage.getByRole('group', { name: 'Safety number' });
	const bobNumber = bobPage.getByRole('group', { name: 'Safety number' });
	await expect(aliceNumber).toHaveText(/^(\d{5}\s*){12}$/);
	const seenByAlice = (await aliceNumber.innerText()).replace(/\s/g, '');
	expect(seenByAlice).toHaveLength(60);
	await expect(bobNumber).toHaveText(/^(\d{5}\s*){12}$/);
	expect((await bobNumber.innerText()).replace(/\s/g, '')).toBe(seenByAlice);

	await alicePage.getByRole('button', { name: 'Mark as verified' }).click();
	await expect(alicePage.getByText(/^Verified on /)).toBeVisible();
	await expect(alicePage.getByRole('button', { name: 'Mark as verified' })).toHaveCount(0);
	await alicePage.reload();
	await expect(alicePage.getByText(/^Verified on /)).toBeVisible();

	await registerAnotherDevice(bob);
	await alicePage.reload();
	await expect(alicePage.getByRole('alert')).toContainText(
		`${bob.username}’s keys changed since you verified them`
	);
	await expect(aliceNumber).toHaveText(/^(\d{5}\s*){12}$/);
	expect((await aliceNumber.innerText()).replace(/\s/g, '')).not.toBe(seenByAlice);

	await alicePage.getByRole('button', { name: 'Mark as verified' }).click();
	await expect(alicePage.getByRole('alert')).toHaveCount(0);
	await expect(alicePage.getByText(/^Verified on /)).toBeVisible();
});
