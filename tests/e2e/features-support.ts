/**
 * Helpers shared by the features-*.spec.ts files: sending from the UI and waiting for it,
 * finding a message, and a Node sync client speaking as a browser context's user (for
 * forged changes the server must refuse).
 */
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { ApiClient } from '../support/api';
import { registerTestDevice } from '../support/device';
import { connectClient, type SyncClient } from '../support/sync-client';
import type * as Y from 'yjs';
import { expect, submitMessage, type ChatUser } from './fixtures';

/** Sends `text` from the composer and waits until the composer is empty again (sent). */
export async function sendMessage(page: Page, text: string): Promise<void> {
	await submitMessage(page, text);
	// Sent: the composer empties. A send may take a moment (offline, or while the room moves to
	// a new head after a seal): press again until it goes; a second press on the draft being
	// sent sends nothing twice (src/lib/client/send-queue.ts).
	const box = page.getByRole('textbox', { name: 'Message' });
	await expect(async () => {
		// A send finishing meanwhile empties the box and disables Send: try again, never hang.
		if ((await box.inputValue()) !== '')
			await page.getByRole('button', { name: 'Send' }).click({ timeout: 2_000 });
		await expect(box).toHaveValue('', { timeout: 2_000 });
	}).toPass();
}

/** The list item of the message whose text contains `text`, in the room's log. */
export function messageItem(page: Page, roomName: string, text: string | RegExp): Locator {
	return page.getByRole('log', { name: roomName }).getByRole('listitem').filter({ hasText: text });
}

/** The message's id, as the page knows it. */
export async function messageIdOf(item: Locator): Promise<string> {
	await expect(item).toHaveCount(1);
	const id = await item.getAttribute('data-message-id');
	if (!id) throw new Error('message without data-message-id');
	return id;
}

/**
 * A sync client in Node with the session of `context`'s user (an attacker's own session), and a
 * device of that user registered for it: what it `send`s is signed.
 */
export async function syncClientOf(
	context: BrowserContext,
	syncUrl: string,
	roomId: string,
	userId: string
): Promise<SyncClient> {
	const cookies = await context.cookies();
	const cookie = cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
	// A device of its own, as a second browser of the user would have: the gate refuses
	// unsigned messages (REQUIRE_SIGNATURES=1).
	const api = new ApiClient(syncUrl.replace(/^ws/, 'http').replace(/\/sync$/, ''));
	api.cookie = cookies
		.filter(({ name }) => name === 'parley_session')
		.map(({ name, value }) => `${name}=${value}`)
		.join('; ');
	const signer = await registerTestDevice(Object.assign(api, { userId }));
	const client = connectClient({ syncUrl, roomId, cookie, userId, signer });
	await client.waitFor(() => client.provider.synced, 10_000, 'the sync client to sync');
	return client;
}

/**
 * Has a fresh sync client with `user`'s own session forge a change (`forge` edits its doc) once
 * its replica holds the message `messageId`, and resolves with the reason the server gave when
 * it refused the change.
 */
export async function refusalOfForgery(
	user: ChatUser,
	syncUrl: string,
	roomId: string,
	messageId: string,
	forge: (doc: Y.Doc) => void
): Promise<string | undefined> {
	const attacker = await syncClientOf(user.context, syncUrl, roomId, user.id);
	try {
		await attacker.waitFor(
			() => attacker.messages().some((message) => message.id === messageId),
			10_000,
			'the message to forge a change of'
		);
		forge(attacker.doc);
		await attacker.waitFor(() => attacker.denied.length >= 1, 10_000, 'a refusal');
		return attacker.denied[0];
	} finally {
		attacker.destroy();
	}
}
