import {
	expect,
	openAndRegister,
	roomName,
	sessionShared,
	sharedRoom,
	submitMessage,
	test
} from './fixtures';

test('a user starts a direct message from /dms and the other reads it under their name', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	// People who share a room start DMs at once; strangers send a request (the next test).
	await sharedRoom(alice, bob, roomName('Team'));
	const dmName = `${alice.username} & ${bob.username}`;
	// DMs are encrypted: Alice's browser shares its session with Bob's registered devices when
	// it opens the DM (then every 4 s), so Bob's browser is registered first.
	const bobPage = await bob.context.newPage();
	await openAndRegister(bobPage, '/dms');

	const alicePage = await alice.context.newPage();
	await alicePage.goto('/dms');
	await expect(alicePage.getByRole('heading', { name: 'Direct messages' })).toBeVisible();
	await alicePage.getByLabel('Username').fill(bob.username);
	await alicePage.getByRole('button', { name: 'Start conversation' }).click();
	await expect(alicePage).toHaveURL(/\/rooms\/[a-z0-9]+$/);
	const roomPath = new URL(alicePage.url()).pathname;
	await expect(alicePage.getByRole('heading', { name: dmName })).toBeVisible();
	await expect(alicePage.getByRole('status')).toHaveText('Online');
	const text = 'Hi Bob, just between us';
	await submitMessage(alicePage, text);
	const own = alicePage.getByRole('log', { name: dmName }).getByRole('listitem').filter({
		hasText: text
	});
	await expect(own).toContainText(/Sent|Delivered|Read/);

	await bobPage.goto('/dms');
	const link = bobPage.getByRole('link', { name: alice.username, exact: true });
	await expect(link).toHaveCount(1);
	await link.click();
	await expect(bobPage).toHaveURL(new RegExp(`${roomPath}$`));
	const received = bobPage
		.getByRole('log', { name: dmName })
		.getByRole('listitem')
		.filter({ hasText: text });
	await expect(received).toHaveCount(1);
	await expect(received).toContainText(alice.username);

	// Starting it again from either side opens the same conversation.
	await bobPage.goto('/dms');
	await bobPage.getByLabel('Username').fill(alice.username);
	await bobPage.getByRole('button', { name: 'Start conversation' }).click();
	await expect(bobPage).toHaveURL(new RegExp(`${roomPath}$`));
});

test('the /dms form explains why it cannot start a conversation', async ({ newUser }) => {
	const alice = await newUser('alice');
	const page = await alice.context.newPage();
	await page.goto('/dms');
	await page.getByLabel('Username').fill('nobody_by_this_name');
	await page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(page.getByRole('alert')).toHaveText('No such user.');
	await page.getByLabel('Username').fill(alice.username);
	await page.getByRole('button', { name: 'Start conversation' }).click();
	await expect(page.getByRole('alert')).toContainText('yourself');
	await expect(page.getByText('No direct messages yet.')).toBeVisible();
});

test('a DM from a stranger is a request: the recipient accepts it under Requests and both chat', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const dmName = `${alice.username} & ${bob.username}`;
	// The request is encrypted: Alice's browser shares its session with Bob's registered devices
	// when it opens the DM (then every 4 s), so Bob's browser is registered first.
	const bobPage = await bob.context.newPage();
	await openAndRegister(bobPage, '/dms');

	const alicePage = await alice.context.newPage();
	await alicePage.goto('/dms');
	await alicePage.getByLabel('Username').fill(bob.username);
	await alicePage.getByRole('button', { name: 'Start conversation' }).click();
	await expect(alicePage).toHaveURL(/\/rooms\/[a-z0-9]+$/);
	const roomPath = new URL(alicePage.url()).pathname;
	await expect(alicePage.getByRole('status')).toHaveText('Online');
	await submitMessage(alicePage, 'Hello, we have not met');

	await bobPage.reload();
	const requests = bobPage.getByRole('region', { name: 'Requests' });
	await expect(requests.getByRole('listitem')).toContainText(alice.username);
	// Not a conversation of Bob's until he accepts.
	await expect(bobPage.getByText('No direct messages yet.')).toBeVisible();
	// Once a member, Bob's browser shares its own session with Alice's when it opens the DM.
	const bobShared = sessionShared(bobPage);
	await requests.getByRole('button', { name: `Accept ${alice.username}` }).click();
	await expect(bobPage).toHaveURL(new RegExp(`${roomPath}$`));
	const bobLog = bobPage.getByRole('log', { name: dmName });
	await expect(
		bobLog.getByRole('listitem').filter({ hasText: 'Hello, we have not met' })
	).toHaveCount(1);
	await bobShared;
	await submitMessage(bobPage, 'Nice to meet you');
	const aliceLog = alicePage.getByRole('log', { name: dmName });
	await expect(aliceLog.getByRole('listitem').filter({ hasText: 'Nice to meet you' })).toHaveCount(
		1
	);

	await bobPage.goto('/dms');
	await expect(bobPage.getByRole('region', { name: 'Requests' })).toHaveCount(0);
	await expect(bobPage.getByRole('link', { name: alice.username, exact: true })).toHaveCount(1);
});

test('a declined request disappears and its sender cannot ask again', async ({ newUser }) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	expect(
		(await alice.context.request.post('/api/dms', { data: { username: bob.username } })).status()
	).toBe(201);

	const bobPage = await bob.context.newPage();
	await bobPage.goto('/dms');
	const requests = bobPage.getByRole('region', { name: 'Requests' });
	await requests.getByRole('button', { name: `Decline ${alice.username}` }).click();
	await expect(bobPage.getByRole('region', { name: 'Requests' })).toHaveCount(0);

	const alicePage = await alice.context.newPage();
	await alicePage.goto('/dms');
	await alicePage.getByLabel('Username').fill(bob.username);
	await alicePage.getByRole('button', { name: 'Start conversation' }).click();
	await expect(alicePage.getByRole('alert')).toHaveText(
		'This person declined your message request.'
	);
});
