import { expect, roomOfTwo, test } from './fixtures';
import { messageIdOf, messageItem, refusalOfForgery, sendMessage } from './features-support';

test('two members react, see counts and who reacted, and take their own reaction back', async ({
	newUser
}) => {
	const { owner: alice, member: bob, name, roomId } = await roomOfTwo(newUser, 'Reactions');
	const alicePage = await alice.openRoom(roomId);
	const bobPage = await bob.openRoom(roomId);

	await sendMessage(alicePage, 'Cake in the kitchen');
	const onBob = messageItem(bobPage, name, 'Cake in the kitchen');
	const onAlice = messageItem(alicePage, name, 'Cake in the kitchen');

	// Bob picks 👍 from the picker.
	await onBob.getByRole('button', { name: 'Add reaction' }).click();
	const picker = bobPage.getByRole('dialog', { name: 'Choose a reaction' });
	const frequent = picker.getByRole('group', { name: 'Frequently used' });
	await expect(frequent.getByRole('button')).toHaveCount(24);
	await frequent.getByRole('button', { name: '👍 thumbs up' }).click();
	await expect(picker).toHaveCount(0);

	const bobChip = onBob.getByRole('button', { name: `👍 1: ${bob.username}` });
	await expect(bobChip).toHaveAttribute('aria-pressed', 'true');
	const aliceSeesChip = onAlice.getByRole('button', { name: `👍 1: ${bob.username}` });
	await expect(aliceSeesChip).toHaveAttribute('aria-pressed', 'false');
	await expect(aliceSeesChip).toHaveAttribute('title', `👍 1: ${bob.username}`);

	// Alice adds hers by clicking the chip: two, in the order they reacted.
	await aliceSeesChip.click();
	const both = `👍 2: ${bob.username}, ${alice.username}`;
	await expect(onAlice.getByRole('button', { name: both })).toHaveAttribute('aria-pressed', 'true');
	await expect(onBob.getByRole('button', { name: both })).toHaveAttribute('aria-pressed', 'true');
	await expect(onBob.getByRole('button', { name: both })).toContainText('2');

	// Bob takes his back.
	await onBob.getByRole('button', { name: both }).click();
	const onlyAlice = `👍 1: ${alice.username}`;
	await expect(onAlice.getByRole('button', { name: onlyAlice })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
	await expect(onBob.getByRole('button', { name: onlyAlice })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
});

test('the emoji picker works with the keyboard alone', async ({ newUser }) => {
	const { owner: alice, name, roomId } = await roomOfTwo(newUser, 'Keyboard reactions');
	const alicePage = await alice.openRoom(roomId);
	await sendMessage(alicePage, 'Press keys');
	const own = messageItem(alicePage, name, 'Press keys');

	const open = own.getByRole('button', { name: 'Add reaction' });
	await open.focus();
	await alicePage.keyboard.press('Enter');
	const picker = alicePage.getByRole('dialog', { name: 'Choose a reaction' });
	const frequent = picker.getByRole('group', { name: 'Frequently used' });
	await expect(frequent.getByRole('button', { name: '👍 thumbs up' })).toBeFocused();
	// Escape closes it and gives the focus back.
	await alicePage.keyboard.press('Escape');
	await expect(picker).toHaveCount(0);
	await expect(open).toBeFocused();

	await alicePage.keyboard.press('Enter');
	await alicePage.keyboard.press('ArrowRight');
	await alicePage.keyboard.press('ArrowDown');
	// Second row, second column (eight a row on a wide screen): the 10th emoji.
	await expect(frequent.getByRole('button', { name: '🤔 thinking' })).toBeFocused();
	// Up from the first row reaches the search field; down comes back.
	await alicePage.keyboard.press('ArrowUp');
	await alicePage.keyboard.press('ArrowUp');
	await expect(picker.getByRole('searchbox', { name: 'Search emoji' })).toBeFocused();
	await alicePage.keyboard.press('ArrowDown');
	await expect(frequent.getByRole('button', { name: '👍 thumbs up' })).toBeFocused();
	await alicePage.keyboard.press('ArrowRight');
	await alicePage.keyboard.press('ArrowDown');
	await expect(frequent.getByRole('button', { name: '🤔 thinking' })).toBeFocused();
	await alicePage.keyboard.press('Enter');
	await expect(own.getByRole('button', { name: `🤔 1: ${alice.username}` })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
	await expect(open).toBeFocused();
});

test('a reaction forged in the name of another member is refused and never shown', async ({
	newUser,
	server
}) => {
	const {
		owner: alice,
		member: mallory,
		name,
		roomId
	} = await roomOfTwo(newUser, 'Forged reaction', 'mallory');
	const alicePage = await alice.openRoom(roomId);
	await sendMessage(alicePage, 'Vote on the plan');
	const own = messageItem(alicePage, name, 'Vote on the plan');
	const id = await messageIdOf(own);

	// Alice "reacts" 👎 to her own plan, says Mallory.
	const refusal = await refusalOfForgery(mallory, server.syncUrl, roomId, id, (doc) =>
		doc.getMap('reactions').set(`${id}|👎|${alice.id}`, Date.now())
	);
	expect(refusal).toMatch(/^rule 4/);

	// Mallory's honest reaction from her browser arrives; the forged one never did.
	const malloryPage = await mallory.openRoom(roomId);
	const onMallory = messageItem(malloryPage, name, 'Vote on the plan');
	await onMallory.getByRole('button', { name: 'Add reaction' }).click();
	await malloryPage
		.getByRole('dialog', { name: 'Choose a reaction' })
		.getByRole('group', { name: 'Frequently used' })
		.getByRole('button', { name: '👍 thumbs up' })
		.click();
	await expect(own.getByRole('button', { name: `👍 1: ${mallory.username}` })).toHaveCount(1);
	await expect(own.getByRole('button', { name: /^👎/ })).toHaveCount(0);
	await expect(own.getByRole('group', { name: 'Reactions' }).getByRole('button')).toHaveCount(1);
});
