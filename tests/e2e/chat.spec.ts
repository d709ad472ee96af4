import type { Page } from '@playwright/test';
import {
	expect,
	goOffline,
	goOnline,
	roomOfTwo,
	submitMessage,
	test,
	waitUntilSavedLocally
} from './fixtures';

/** Collects every dialog (alert, confirm…) the page opens: none may appear. */
function recordDialogs(page: Page): string[] {
	const dialogs: string[] = [];
	page.on('dialog', (dialog) => {
		dialogs.push(dialog.message());
		void dialog.dismiss();
	});
	return dialogs;
}

test('two users chat both ways in real time and see who wrote each message', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Two way');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);

	await expect(alicePage.getByRole('heading', { name })).toBeVisible();
	await submitMessage(alicePage, 'Hello Bob, this is Alice');
	const fromAlice = bobPage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Hello Bob, this is Alice' });
	await expect(fromAlice).toHaveCount(1);
	await expect(fromAlice).toContainText(alice.username);

	// Enter sends too.
	const bobBox = bobPage.getByRole('textbox', { name: 'Message' });
	await bobBox.fill('Hi Alice!');
	await bobBox.press('Enter');
	await expect(bobBox).toHaveValue('');
	const fromBob = alicePage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Hi Alice!' });
	await expect(fromBob).toHaveCount(1);
	await expect(fromBob).toContainText(bob.username);

	// Both logs hold both messages, in the same order.
	for (const page of [alicePage, bobPage]) {
		await expect(page.getByRole('log', { name }).getByRole('listitem')).toHaveText([
			/Hello Bob, this is Alice/,
			/Hi Alice!/
		]);
	}
	// A message over the limit is not sent; the composer says why and keeps the draft.
	await submitMessage(bobPage, 'x'.repeat(4001));
	await expect(bobPage.getByRole('alert')).toContainText('too long');
	await expect(bobBox).toHaveValue('x'.repeat(4001));

	// Alice's own message reached the server (and Bob, who has it on screen, may have read it).
	const ownOnAlice = alicePage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: 'Hello Bob' });
	await expect(ownOnAlice).toContainText(/Sent|Delivered|Read/);
});

test('a message sent offline stays pending in the local replica and is delivered on reconnect', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Offline');
	let alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);

	await goOffline(alice.context);
	await expect(alicePage.getByRole('status')).toHaveText('Offline');

	const text = 'Written on a train without network';
	await submitMessage(alicePage, text);
	const pending = alicePage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: text });
	await expect(pending).toHaveCount(1);
	await expect(pending).toContainText('Pending');
	await waitUntilSavedLocally(alicePage, alice.id, roomId, text);
	await alicePage.close();

	await goOnline(alice.context);
	alicePage = await alice.openRoom(roomId);
	const reopened = alicePage
		.getByRole('log', { name })
		.getByRole('listitem')
		.filter({ hasText: text });
	await expect(reopened).toHaveCount(1);

	const onBob = bobPage.getByRole('log', { name }).getByRole('listitem').filter({ hasText: text });
	await expect(onBob).toHaveCount(1);
	await expect(onBob).toContainText(alice.username);
	await expect(reopened).toContainText(/Sent|Delivered|Read/);
	await expect(reopened).not.toContainText('Pending');
});

test('markup in a message is shown as text and only http links become links', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Safety');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	const dialogs = [...[alicePage, bobPage].map(recordDialogs)];

	const markup = '<img src=x onerror=alert(1)>';
	await submitMessage(bobPage, markup);
	await submitMessage(bobPage, 'docs at https://example.com/guide?x=1 and javascript:alert(2)');

	const log = alicePage.getByRole('log', { name });
	await expect(log.getByRole('listitem').filter({ hasText: markup })).toHaveCount(1);
	await expect(log.locator('img')).toHaveCount(0);

	const link = log.getByRole('link', { name: 'https://example.com/guide?x=1' });
	await expect(link).toHaveAttribute('href', 'https://example.com/guide?x=1');
	await expect(link).toHaveAttribute('rel', /noopener/);
	await expect(link).toHaveAttribute('target', '_blank');
	await expect(log.getByRole('link')).toHaveCount(1);
	await expect(log.getByRole('listitem').filter({ hasText: 'javascript:alert(2)' })).toHaveCount(1);

	expect(dialogs.flat()).toEqual([]);
});
