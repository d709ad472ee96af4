import { addMember, expect, roomOfTwo, test } from './fixtures';
import { sendMessage } from './features-support';

test('members see who is here and who is typing, and the typing note goes away', async ({
	newUser
}) => {
	const { owner: alice, member: bob, roomId } = await roomOfTwo(newUser, 'Presence');
	const alicePage = await alice.openRoom(roomId);

	const hereOnAlice = alicePage.getByRole('list', { name: 'Here now' });
	await expect(hereOnAlice.getByRole('listitem')).toHaveCount(1);
	await expect(hereOnAlice).toContainText(alice.username);

	const bobPage = await bob.openRoom(roomId);
	await expect(hereOnAlice.getByRole('listitem')).toHaveCount(2);
	await expect(hereOnAlice).toContainText(bob.username);
	const hereOnBob = bobPage.getByRole('list', { name: 'Here now' });
	await expect(hereOnBob).toContainText(alice.username);

	// Typing shows on the other side; sending ends it.
	const typingNote = alicePage.getByText(`${bob.username} is typing…`);
	await bobPage.getByRole('textbox', { name: 'Message' }).pressSequentially('on my w');
	await expect(typingNote).toBeVisible();
	await expect(bobPage.getByText(/is typing…/)).toHaveCount(0);
	await bobPage.getByRole('textbox', { name: 'Message' }).pressSequentially('ay');
	await bobPage.getByRole('button', { name: 'Send' }).click();
	await expect(typingNote).toHaveCount(0);

	// Typing stops by itself after a few idle seconds.
	await bobPage.getByRole('textbox', { name: 'Message' }).pressSequentially('hmm');
	await expect(typingNote).toBeVisible();
	await expect(typingNote).toHaveCount(0, { timeout: 8_000 });

	// Two people typing at once.
	const carol = await newUser('carol');
	await addMember(alice.context, roomId, carol.username);
	const carolPage = await carol.openRoom(roomId);
	await expect(hereOnAlice.getByRole('listitem')).toHaveCount(3);
	await bobPage.getByRole('textbox', { name: 'Message' }).pressSequentially('a');
	await carolPage.getByRole('textbox', { name: 'Message' }).pressSequentially('b');
	await expect(alicePage.getByText(/ and .* are typing…/)).toContainText(bob.username);
	await expect(alicePage.getByText(/ and .* are typing…/)).toContainText(carol.username);
	await sendMessage(carolPage, 'b done');

	// Leaving the room removes Bob from the list.
	await bobPage.close();
	await expect(hereOnAlice.getByRole('listitem')).toHaveCount(2);
	await expect(hereOnAlice).not.toContainText(bob.username);
});
