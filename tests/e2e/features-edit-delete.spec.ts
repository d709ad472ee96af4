import { expect, goOffline, goOnline, roomOfTwo, test } from './fixtures';
import { messageIdOf, messageItem, refusalOfForgery, sendMessage } from './features-support';

test('the author edits and deletes a message; the other member sees both and gets no controls for it', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Edits');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);

	await sendMessage(alicePage, 'Meet at the statoin');
	const own = messageItem(alicePage, name, 'Meet at the');
	const onBob = messageItem(bobPage, name, 'Meet at the');
	await expect(onBob).toHaveCount(1);
	const id = await messageIdOf(own);

	// Bob may reply or react to Alice's message, not edit or delete it.
	await expect(onBob.getByRole('button', { name: 'Reply' })).toHaveCount(1);
	await expect(onBob.getByRole('button', { name: 'Edit', exact: true })).toHaveCount(0);
	await expect(onBob.getByRole('button', { name: 'Delete', exact: true })).toHaveCount(0);

	// Edit with the keyboard: Enter on "Edit", type, Enter saves.
	await own.getByRole('button', { name: 'Edit', exact: true }).focus();
	await alicePage.keyboard.press('Enter');
	const editBox = alicePage.getByRole('textbox', { name: 'Edit message' });
	await expect(editBox).toBeFocused();
	await expect(editBox).toHaveValue('Meet at the statoin');
	await editBox.fill('Meet at the station');
	await editBox.press('Enter');
	await expect(editBox).toHaveCount(0);
	await expect(own).toContainText('Meet at the station');
	await expect(own).toContainText('(edited)');
	await expect(onBob).toContainText('Meet at the station');
	await expect(onBob).toContainText('(edited)');
	await expect(onBob).not.toContainText('statoin');

	// Escape cancels an edit and leaves the text as it was.
	await own.getByRole('button', { name: 'Edit', exact: true }).click();
	await editBox.fill('something I did not mean');
	await editBox.press('Escape');
	await expect(editBox).toHaveCount(0);
	await expect(own).toContainText('Meet at the station');
	await expect(own.getByRole('button', { name: 'Edit', exact: true })).toBeFocused();

	// Delete asks first; "Keep" changes nothing.
	await own.getByRole('button', { name: 'Delete', exact: true }).click();
	await own.getByRole('button', { name: 'Keep' }).click();
	await expect(own).toContainText('Meet at the station');
	await own.getByRole('button', { name: 'Delete', exact: true }).click();
	await own.getByRole('button', { name: 'Delete message' }).click();

	const tombstoneOnAlice = alicePage.locator(`[data-message-id="${id}"]`);
	const tombstoneOnBob = bobPage.locator(`[data-message-id="${id}"]`);
	for (const tombstone of [tombstoneOnAlice, tombstoneOnBob]) {
		await expect(tombstone).toContainText('message deleted');
		await expect(tombstone).not.toContainText('Meet at the station');
		await expect(tombstone.getByRole('button')).toHaveCount(0);
	}
});

test('an edit made offline reaches the other member on reconnect', async ({ newUser }) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Offline edit');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await sendMessage(alicePage, 'Train leaves at 9');
	const onBob = messageItem(bobPage, name, 'Train leaves at');
	await expect(onBob).toHaveCount(1);

	await goOffline(alice.context);
	await expect(alicePage.getByRole('status')).toHaveText('Offline');
	const own = messageItem(alicePage, name, 'Train leaves at');
	await own.getByRole('button', { name: 'Edit', exact: true }).click();
	await alicePage.getByRole('textbox', { name: 'Edit message' }).fill('Train leaves at 10');
	await alicePage.getByRole('button', { name: 'Save' }).click();
	await expect(own).toContainText('Train leaves at 10');
	await expect(onBob).toContainText('Train leaves at 9');

	await goOnline(alice.context);
	await expect(onBob).toContainText('Train leaves at 10');
	await expect(onBob).toContainText('(edited)');
});

test("a forged edit or delete of someone else's message is refused by the server and never shown", async ({
	newUser,
	server
}) => {
	const {
		owner: alice,
		member: mallory,
		name,
		roomId
	} = await roomOfTwo(newUser, 'Forgery', 'mallory');
	const alicePage = await alice.openRoom(roomId);
	await sendMessage(alicePage, 'I will pay 10 euros');
	const own = messageItem(alicePage, name, 'I will pay');
	const id = await messageIdOf(own);

	const editRefusal = await refusalOfForgery(mallory, server.syncUrl, roomId, id, (doc) =>
		doc.getMap('changes').set(id, { text: 'I will pay 1000 euros', ts: Date.now() })
	);
	expect(editRefusal).toMatch(/^rule 4/);
	// A fresh client (the first one's doc holds the refused edit) tries a delete.
	const deleteRefusal = await refusalOfForgery(mallory, server.syncUrl, roomId, id, (doc) =>
		doc.getMap('changes').set(id, { deleted: true, ts: Date.now() })
	);
	expect(deleteRefusal).toMatch(/^rule 4/);

	// A later honest message from Mallory's browser arrives; the forged edit never did.
	const malloryPage = await mallory.openRoom(roomId);
	await sendMessage(malloryPage, 'no forgery here');
	await expect(messageItem(alicePage, name, 'no forgery here')).toHaveCount(1);
	await expect(own).toContainText('I will pay 10 euros');
	await expect(own).not.toContainText('1000');
	await expect(own).not.toContainText('(edited)');
	await expect(own).not.toContainText('message deleted');
	await expect(messageItem(malloryPage, name, 'I will pay 10 euros')).not.toContainText('1000');
});

for (const viewport of [
	{ width: 1280, height: 800 },
	{ width: 390, height: 844 }
]) {
	test(`at ${viewport.width} px Up-arrow in the empty composer edits the last own message; Escape cancels`, async ({
		newUser
	}) => {
		const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Up-arrow');
		const page = await alice.openRoom(roomId);
		await page.setViewportSize(viewport);
		const bobPage = await bob.openRoom(roomId);
		await sendMessage(page, 'first from alice');
		await sendMessage(page, 'second from alice');
		// The room's last message is Bob's: Up-arrow still takes Alice's own last one.
		await sendMessage(bobPage, 'bob has the last word');
		await expect(messageItem(page, name, 'bob has the last word')).toHaveCount(1);

		const composer = page.getByRole('textbox', { name: 'Message' });
		const editBox = page.getByRole('textbox', { name: 'Edit message' });
		// With a draft, Up-arrow is the caret's.
		await composer.fill('a draft');
		await composer.press('ArrowUp');
		await expect(editBox).toHaveCount(0);
		await composer.fill('');

		await composer.press('ArrowUp');
		await expect(editBox).toBeFocused();
		await expect(editBox).toHaveValue('second from alice');
		await editBox.fill('not what I meant');
		await editBox.press('Escape');
		await expect(editBox).toHaveCount(0);
		await expect(composer).toBeFocused();
		await expect(messageItem(page, name, 'second from alice')).not.toContainText('(edited)');

		await composer.press('ArrowUp');
		await expect(editBox).toHaveValue('second from alice');
		await editBox.fill('second, corrected');
		await editBox.press('Enter');
		await expect(editBox).toHaveCount(0);
		await expect(composer).toBeFocused();
		await expect(messageItem(bobPage, name, 'second, corrected')).toContainText('(edited)');
		await expect(messageItem(page, name, 'first from alice')).not.toContainText('(edited)');
	});
}
