import { addMember, createRoom, expect, test } from './fixtures';
test('debug', async ({ newUser, server }) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const roomId = await createRoom(alice.context, 'dbg', 'private');
	await addMember(alice.context, roomId, bob.username);
	const page = await alice.openRoom(roomId);
	await page.getByRole('textbox', { name: 'Message' }).fill('hello');
	await page.getByRole('button', { name: 'Send' }).click();
	const bobPage = await bob.openRoom(roomId);
	bobPage.on('console', (m) => console.log('bob:', m.text()));
	await expect(bobPage.getByText('hello')).toBeVisible();
	console.log(await bobPage.evaluate(() => [document.visibilityState, window.innerHeight, window.scrollY, document.documentElement.scrollHeight]));
	await new Promise((r) => setTimeout(r, 3000));
	console.log(server.output.filter((l) => /refus|denied|gate|warn/i.test(l)).slice(-10));
});
