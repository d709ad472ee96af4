import { expect, roomOfTwo, test } from './fixtures';
import { messageIdOf, messageItem, sendMessage, syncClientOf } from './features-support';

test('a reply quotes its original, and clicking the quote jumps back to it', async ({
	newUser,
	server
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Replies');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);
	await alicePage.setViewportSize({ width: 900, height: 500 });

	await sendMessage(alicePage, 'Who brings the projector tomorrow?');
	const original = messageItem(bobPage, name, 'Who brings the projector');
	const originalId = await messageIdOf(original);

	// Bob starts a reply, cancels it, starts again.
	await original.getByRole('button', { name: 'Reply' }).click();
	const preview = bobPage.getByRole('group', { name: `Replying to ${alice.username}` });
	await expect(preview).toContainText('Who brings the projector tomorrow?');
	await expect(bobPage.getByRole('textbox', { name: 'Message' })).toBeFocused();
	await preview.getByRole('button', { name: 'Cancel reply' }).click();
	await expect(preview).toHaveCount(0);
	await original.getByRole('button', { name: 'Reply' }).click();
	await expect(preview).toHaveCount(1);
	await sendMessage(bobPage, 'I will, it is in my bag');
	await expect(preview).toHaveCount(0);

	// Enough later messages that the original scrolls out of Alice's view.
	const chatter = await syncClientOf(alice.context, server.syncUrl, roomId, alice.id);
	try {
		for (let i = 1; i <= 15; i++) chatter.send(`filler line ${i}`);
		await chatter.waitForStored(10_000);
	} finally {
		chatter.destroy();
	}
	await sendMessage(bobPage, 'see above');

	const reply = messageItem(alicePage, name, 'I will, it is in my bag');
	const quote = reply.getByRole('button', { name: /In reply to/ });
	await expect(quote).toContainText(alice.username);
	await expect(quote).toContainText('Who brings the projector tomorrow?');
	await expect(messageItem(alicePage, name, 'see above')).toBeInViewport();
	const originalOnAlice = messageItem(
		alicePage,
		name,
		/^(?!.*In reply to).*Who brings the projector/
	);
	await expect(originalOnAlice).not.toBeInViewport();

	await quote.scrollIntoViewIfNeeded();
	await quote.click();
	await expect(originalOnAlice).toBeInViewport();
	await expect(originalOnAlice).toHaveAttribute('data-message-id', originalId);
	await expect(originalOnAlice).toHaveClass(/highlighted/);
	// The highlight is brief.
	await expect(originalOnAlice).not.toHaveClass(/highlighted/);
});
