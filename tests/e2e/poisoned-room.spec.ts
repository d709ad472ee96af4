/**
 * A poisoned room still works (issue 12): values the gate refuses today got into a room's log
 * (as an older, laxer server let them in): file ids "/x", "" and "../../../logout", a ts of
 * 1e300. They are written straight into the room's SQLite log before anyone loads the room,
 * bypassing the gate, and indexed for search as that older server's indexer did. Every other
 * message still shows, each poisoned one is a placeholder in its place, no link leads to
 * /logout, and a search matching the poisoned message still answers.
 */
import * as Y from 'yjs';
import { storeAsSnapshot, withServerStorage } from '../support/stored';
import { axeOn, createRoom, addMember, expect, roomName, test } from './fixtures';

const WORD = 'quokkapoison';

interface Stored {
	readonly id: string;
	readonly author: string;
	readonly text: string;
	readonly ts: number;
	readonly files?: readonly { id: string; name: string; type: string; size: number }[];
}

/** Writes `messages` as the room's stored state and indexes them, as an older server did. */
async function storePoisonedLog(
	dataDir: string,
	roomId: string,
	messages: readonly Stored[]
): Promise<void> {
	const doc = new Y.Doc();
	doc.getArray('messages').push([...messages]);
	try {
		await withServerStorage(dataDir, async (storage) => {
			await storeAsSnapshot(storage.roomLog, roomId, Y.encodeStateAsUpdate(doc));
			await storage.search.writeIndex([{ roomId, messages, changes: [] }]);
		});
	} finally {
		doc.destroy();
	}
}

test('a room with poisoned messages shows every other message and a placeholder for each', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const mallory = await newUser('mallory');
	const name = roomName('Poisoned');
	const roomId = await createRoom(alice.context, name);
	await addMember(alice.context, roomId, mallory.username);

	const now = Date.now();
	const message = (text: string, extra: Partial<Stored> = {}): Stored => ({
		id: crypto.randomUUID(),
		author: mallory.id,
		text,
		ts: now,
		...extra
	});
	const file = (id: string) => [{ id, name: 'trap.txt', type: 'text/plain', size: 3 }];
	await storePoisonedLog(server.dataDir, roomId, [
		message(`before the poison ${WORD}`, { author: alice.id }),
		message('slash', { files: file('/x') }),
		message('empty', { files: file('') }),
		message('logout', { files: file('../../../logout') }),
		message(`far future ${WORD}`, { ts: 1e300 }),
		message('after the poison', { author: alice.id })
	]);

	const page = await alice.openRoom(roomId);
	const log = page.getByRole('log', { name });
	for (let round = 0; round < 2; round++) {
		await expect(log.getByText(`before the poison ${WORD}`)).toBeVisible();
		await expect(log.getByText('after the poison')).toBeVisible();
		// Each poisoned message is a list item of the log, in its place between the two.
		const items = log.getByRole('listitem');
		await expect(items).toHaveCount(6);
		await expect(items.nth(0)).toContainText('before the poison');
		for (const n of [1, 2, 3, 4]) await expect(items.nth(n)).toHaveText("Message can't be shown");
		await expect(items.nth(5)).toContainText('after the poison');
		await expect(page.locator('a[href*="logout"]')).toHaveCount(0);
		await expect(log.getByRole('link')).toHaveCount(0);
		// The placeholders are accessible: no serious or critical axe violation on the page.
		const { violations } = await axeOn(page).analyze();
		expect(
			violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)
		).toEqual([]);
		// Also after a reload, from the browser's own replica.
		if (round === 0) await page.reload();
	}

	// The room still works: a new message goes through and shows.
	await page.getByRole('textbox', { name: 'Message' }).fill('still chatting');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(log.getByText('still chatting')).toBeVisible();

	// Search still answers for a query matching the poisoned message.
	const search = await alice.context.newPage();
	await search.goto(`/search?q=${WORD}`);
	const results = search.getByRole('list', { name: 'Results' });
	await expect(
		results.getByRole('link', { name: new RegExp(`before the poison ${WORD}`) })
	).toBeVisible();
	await expect(results.getByText("Result can't be shown")).toBeVisible();
});
