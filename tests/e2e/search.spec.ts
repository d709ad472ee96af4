/**
 * The search page: a message typed in a room is found on /search and its result leads back to
 * the room. Until the sync server calls the search indexer after each commit, the test runs
 * the indexer itself over the updates the server committed to its SQLite file.
 */
import { createSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { createSearchIndexer } from '../../sync-server/search-indexer';
import {
	addMember,
	createRoom,
	expect,
	holdHydration,
	submitMessage,
	test,
	waitUntilRoomsSaved,
	waitUntilSavedLocally
} from './fixtures';

/** Indexes what the server committed for the room, once `text` is in its update log. */
async function indexCommitted(dataDir: string, roomId: string, text: string): Promise<void> {
	const db = openDatabase(databaseFile(dataDir));
	try {
		const read = (): Uint8Array[] =>
			(
				db
					.prepare(
						`SELECT data FROM room_snapshots WHERE room_id = ?
						 UNION ALL SELECT data FROM (SELECT data FROM room_updates WHERE room_id = ? ORDER BY seq)`
					)
					.all(roomId, roomId) as { data: Buffer }[]
			).map((row) => new Uint8Array(row.data));
		const encoded = new TextEncoder().encode(text);
		const holds = (update: Uint8Array): boolean =>
			Buffer.from(update).indexOf(Buffer.from(encoded)) !== -1;
		await expect.poll(() => read().some(holds)).toBe(true);
		// The server writes the same file meanwhile: a write that meets its commit is refused
		// with SQLITE_BUSY ("database is locked") and is tried again.
		await expect
			.poll(async () => {
				const errors: unknown[] = [];
				const result = await createSearchIndexer(createSqliteStorage(db).search, {
					onError: (error) => errors.push(error)
				}).indexCommitted(read().map((data) => ({ roomId, data })));
				const busy = errors.some((error) => String(error).includes('database is locked'));
				return busy ? 'busy' : { errors, indexed: result.messages > 0 };
			})
			.toEqual({ errors: [], indexed: true });
	} finally {
		db.close();
	}
}

test('a user finds a message on the search page and its result opens the room', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const name = `Orchard ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(alice.context, name);
	const otherRoom = await createRoom(
		alice.context,
		`Elsewhere ${Math.random().toString(36).slice(2, 8)}`
	);
	const room = await alice.openRoom(roomId);
	await submitMessage(room, 'The quince tree needs pruning before spring');
	await expect(room.getByRole('log', { name }).getByRole('listitem')).toHaveCount(1);
	await indexCommitted(server.dataDir, roomId, 'quince tree');

	const page = await alice.context.newPage();
	await page.goto('/search');
	await page.getByRole('searchbox', { name: 'Search messages' }).fill('QUINCE prun');
	await page.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
	await expect(page).toHaveURL(/\/search\?q=QUINCE\+prun$/);
	// In the results (the sidebar lists the room too).
	const result = page.getByRole('main').getByRole('link', { name: new RegExp(name) });
	await expect(result).toHaveCount(1);
	await expect(result).toContainText(alice.username);
	await expect(result.locator('mark')).toHaveText(['quince', 'prun']);
	await expect(page.getByText('(offline results)')).toHaveCount(0);

	await result.click();
	await expect(page).toHaveURL(new RegExp(`/rooms/${roomId}#message-[0-9a-f-]{36}$`));
	await expect(page.getByRole('heading', { name })).toBeVisible();
	await expect(
		page.getByRole('log', { name }).getByRole('listitem').filter({ hasText: 'quince tree' })
	).toHaveCount(1);
	expect(page.url()).not.toContain(otherRoom);
});

test('what is typed in the search box before the page is interactive is kept and searched', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const page = await alice.context.newPage();
	// The app's scripts wait until the text is typed into the server-rendered box.
	const held = await holdHydration(page);
	await page.goto('/search', { waitUntil: 'domcontentloaded' });
	const box = page.getByRole('searchbox', { name: 'Search messages' });
	await box.fill('typed early');
	await held.hydrate();
	await expect(box).toHaveValue('typed early');
	await box.press('Enter');
	await expect(page).toHaveURL(/\/search\?q=typed\+early$/);
	await expect(box).toHaveValue('typed early');
	// Back: the box shows that page's query again.
	await page.goBack();
	await expect(page).toHaveURL(/\/search$/);
	await expect(box).toHaveValue('');
});

test('without the server the search page searches this browser’s replicas', async ({ newUser }) => {
	const bob = await newUser('bob');
	const name = `Shed ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(bob.context, name);
	const room = await bob.openRoom(roomId);
	await submitMessage(room, 'Where did the wheelbarrow go?');
	await waitUntilSavedLocally(room, bob.id, roomId, 'wheelbarrow');

	const page = await bob.context.newPage();
	// The home page saves the room list: offline, room names come from there.
	await page.goto('/');
	await waitUntilRoomsSaved(page, bob.id, name);
	await page.route('**/api/search?*', (route) => route.abort('internetdisconnected'));
	await page.goto('/search?q=wheelbar');
	await expect(page.getByText('(offline results)')).toBeVisible();
	// In the results (the sidebar lists the room too).
	const result = page.getByRole('main').getByRole('link', { name: new RegExp(name) });
	await expect(result).toHaveCount(1);
	await expect(result.locator('mark')).toHaveText('wheelbar');
	await expect(result).toHaveAttribute('href', new RegExp(`^/rooms/${roomId}#message-`));
});

for (const viewport of [
	{ width: 1280, height: 800 },
	{ width: 390, height: 844 }
]) {
	test(`at ${viewport.width} px the search filters narrow results by conversation, person and date`, async ({
		newUser,
		server
	}) => {
		const alice = await newUser('alice');
		const bob = await newUser('bob');
		const porch = `Porch ${Math.random().toString(36).slice(2, 8)}`;
		const attic = `Attic ${Math.random().toString(36).slice(2, 8)}`;
		const porchId = await createRoom(alice.context, porch);
		const atticId = await createRoom(alice.context, attic);
		await addMember(alice.context, porchId, bob.username);
		const onPorch = await alice.openRoom(porchId);
		await submitMessage(onPorch, 'apricot jam from alice');
		const bobOnPorch = await bob.openRoom(porchId);
		await submitMessage(bobOnPorch, 'apricot tart from bob');
		const inAttic = await alice.openRoom(atticId);
		await submitMessage(inAttic, 'apricot crates in the attic');
		await indexCommitted(server.dataDir, porchId, 'apricot tart');
		await indexCommitted(server.dataDir, atticId, 'apricot crates');

		const page = await alice.context.newPage();
		await page.setViewportSize(viewport);
		await page.goto('/search?q=apricot');
		const results = page.getByRole('list', { name: 'Results' }).getByRole('listitem');
		await expect(results).toHaveCount(3);

		await page.getByText('Filters', { exact: true }).click();
		await page.getByRole('combobox', { name: 'Conversation' }).selectOption({ label: porch });
		await page.getByRole('button', { name: 'Search' }).click();
		await expect(page).toHaveURL(new RegExp(`room=${porchId}`));
		await expect(results).toHaveCount(2);
		await expect(results.filter({ hasText: 'crates' })).toHaveCount(0);

		await page.getByRole('textbox', { name: 'Person' }).fill(bob.username);
		await page.getByRole('button', { name: 'Search' }).click();
		await expect(results).toHaveCount(1);
		await expect(results).toContainText('apricot tart from bob');

		// Nothing was written tomorrow; everything today.
		const day = (offset: number): string => {
			const date = new Date();
			date.setDate(date.getDate() + offset);
			const pad = (n: number): string => String(n).padStart(2, '0');
			return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
		};
		await page.getByRole('textbox', { name: 'Person' }).fill('');
		await page.getByLabel('From').fill(day(1));
		await page.getByRole('button', { name: 'Search' }).click();
		await expect(page.getByRole('status')).toHaveText('No messages found.');
		await page.getByLabel('From').fill(day(0));
		await page.getByLabel('To').fill(day(0));
		await page.getByRole('button', { name: 'Search' }).click();
		await expect(results).toHaveCount(2);

		await page.getByRole('link', { name: 'Clear filters' }).click();
		await expect(page).toHaveURL(/\/search\?q=apricot$/);
		await expect(results).toHaveCount(3);
	});
}
