/** Helpers of the encrypted-room specs: an encrypted room, a pair reading it, the data directory. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { addMember, expect, roomName, submitMessage, type ChatUser } from './fixtures';

export async function encryptedRoom(owner: ChatUser, name: string, ...members: ChatUser[]) {
	const response = await owner.context.request.post('/api/rooms', {
		data: { name, visibility: 'private', encrypted: true }
	});
	expect(response.status()).toBe(201);
	const body = (await response.json()) as { id: string; encrypted: boolean };
	expect(body.encrypted).toBe(true);
	for (const member of members) await addMember(owner.context, body.id, member.username);
	return body.id;
}

/**
 * Alice and Bob in a new encrypted room, each with it open (Bob first, so his device is
 * registered when Alice's shares her session), and Alice's `first` message read by Bob.
 */
export async function encryptedPair(
	newUser: (prefix?: string) => Promise<ChatUser>,
	prefix: string,
	first: string
) {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = roomName(prefix);
	const roomId = await encryptedRoom(alice, name, bob);
	const bobPage = await bob.openRoom(roomId);
	const alicePage = await alice.openRoom(roomId);
	await submitMessage(alicePage, first);
	await expect(messageOf(bobPage, name, first)).toBeVisible({ timeout: 20_000 });
	return { alice, bob, name, roomId, alicePage, bobPage };
}

export function messageOf(page: Page, name: string, text: string) {
	return page.getByRole('log', { name }).getByRole('listitem').filter({ hasText: text });
}

/** Every file under `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
	const entries = await readdir(dir, { withFileTypes: true, recursive: true });
	return entries
		.filter((entry) => entry.isFile())
		.map((entry) => join(entry.parentPath, entry.name));
}
