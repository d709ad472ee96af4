/**
 * Long rooms: the log renders a window of the messages, "Load older messages" extends it
 * upwards without moving what the reader sees, and a #message-<id> link far back in the
 * history is brought into the window and scrolled to.
 */
import { INITIAL_WINDOW, screenfulOf } from '../../src/lib/client/log-window';
import { historyId, storeMessagesAsSnapshot } from '../support/stored';
import { createRoom, expect, test } from './fixtures';

const TOTAL = 3_000;

/**
 * Stores a room history of `count` messages as the room's snapshot, as compaction leaves it;
 * the last message answers `lastRepliesTo` when given.
 */
async function storeHistory(
	dataDir: string,
	roomId: string,
	author: string,
	count: number,
	lastRepliesTo?: string
): Promise<void> {
	await storeMessagesAsSnapshot(
		dataDir,
		roomId,
		Array.from({ length: count }, (_, n) => ({
			id: historyId(n),
			author,
			text: `history message ${n}`,
			ts: 1_700_000_000_000 + n * 1_000,
			...(n === count - 1 && lastRepliesTo !== undefined ? { replyTo: lastRepliesTo } : {})
		}))
	);
}

async function longRoom(
	server: { dataDir: string },
	user: { id: string; context: import('@playwright/test').BrowserContext },
	lastRepliesTo?: string
): Promise<{ roomId: string; name: string }> {
	const name = `Long ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(user.context, name);
	await storeHistory(server.dataDir, roomId, user.id, TOTAL, lastRepliesTo);
	return { roomId, name };
}

test('a long room renders only a window of its messages and loads older ones on request', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const { roomId, name } = await longRoom(server, alice);
	const page = await alice.openRoom(roomId);
	const items = page.getByRole('log', { name }).getByRole('listitem');

	const latest = items.filter({ hasText: `history message ${TOTAL - 1}` });
	await expect(latest).toBeInViewport();
	await expect(items).toHaveCount(INITIAL_WINDOW);
	const rendered = await items.count();

	// Scrolling up to the oldest rendered message loads older ones by itself (issue 16, item 2).
	const firstText = (await items.first().innerText()).match(/history message \d+/)?.[0] ?? '';
	const first = Number(firstText.split(' ').at(-1));
	expect(first).toBe(TOTAL - rendered);
	await items
		.filter({ hasText: new RegExp(`history message ${first}\\b`) })
		.scrollIntoViewIfNeeded();
	await expect(
		items.filter({ hasText: new RegExp(`history message ${first - 1}\\b`) })
	).toHaveCount(1);

	// Keyboard only: focus the button and press Enter. The message at the top stays where it is
	// on screen while older ones are added above (whichever load adds them).
	const loadOlder = page.getByRole('button', { name: 'Load older messages' });
	await loadOlder.focus();
	const topText = (await items.first().innerText()).match(/history message \d+/)?.[0] ?? '';
	const top = Number(topText.split(' ').at(-1));
	// The message's entry (its grouping with the one now above it may trim its own padding).
	const anchor = page.locator(`#message-${historyId(top)}`);
	const topBefore = (await anchor.boundingBox())?.y ?? NaN;
	await page.keyboard.press('Enter');
	await expect(items.filter({ hasText: new RegExp(`history message ${top - 1}\\b`) })).toHaveCount(
		1
	);
	expect(await items.count()).toBeLessThan(TOTAL / 5);
	expect(Math.abs(((await anchor.boundingBox())?.y ?? NaN) - topBefore)).toBeLessThan(2);

	// A new message still shows at the end and is scrolled to.
	const box = page.getByRole('textbox', { name: 'Message' });
	await box.fill('after the history');
	await box.press('Enter');
	await expect(items.filter({ hasText: 'after the history' })).toBeInViewport();
});

test('opening a long room paints a screenful of the latest messages first, then the rest of the window above them', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const { roomId, name } = await longRoom(server, alice);
	const page = await alice.context.newPage();
	// Counts the rendered messages in the first frame that shows the latest one.
	await page.addInitScript(
		(wanted: string) => {
			const probe = window as unknown as { firstFrameEntries?: number; firstFrameTop?: number };
			const poll = (): void => {
				const entries = document.querySelectorAll('[role="log"] .entry');
				const last = entries[entries.length - 1];
				const box = last?.getBoundingClientRect();
				if (last?.textContent?.includes(wanted) && box && box.top < window.innerHeight) {
					probe.firstFrameEntries = entries.length;
					probe.firstFrameTop = entries[0]?.getBoundingClientRect().top ?? NaN;
				} else requestAnimationFrame(poll);
			};
			requestAnimationFrame(poll);
		},
		`history message ${TOTAL - 1}`
	);
	await page.goto(`/rooms/${roomId}`);

	const items = page.getByRole('log', { name }).getByRole('listitem');
	await expect(items).toHaveCount(INITIAL_WINDOW);
	const first = await page.evaluate(() => {
		const probe = window as unknown as { firstFrameEntries?: number; firstFrameTop?: number };
		return { entries: probe.firstFrameEntries, top: probe.firstFrameTop ?? NaN };
	});
	expect(first.entries).toBe(screenfulOf(page.viewportSize()?.height ?? NaN));
	// One-line messages by one author, the smallest there are, still filled the screen.
	expect(first.top).toBeLessThan(0);
	// The rest went in above: the reader is still at the latest message, at the bottom.
	await expect(items.filter({ hasText: `history message ${TOTAL - 1}` })).toBeInViewport();
	expect(
		await page.evaluate(
			() => document.documentElement.scrollHeight - (window.scrollY + window.innerHeight) < 2
		)
	).toBe(true);
});

test('a link to a message far back in a long room scrolls to it', async ({ newUser, server }) => {
	const alice = await newUser('alice');
	const { roomId, name } = await longRoom(server, alice);
	const page = await alice.context.newPage();
	await page.goto(`/rooms/${roomId}#message-${historyId(100)}`);

	const target = page.locator(`#message-${historyId(100)}`);
	await expect(target).toBeInViewport();
	await expect(target.getByRole('listitem')).toHaveText(/history message 100\b/);
	const items = page.getByRole('log', { name }).getByRole('listitem');
	expect(await items.count()).toBeLessThan(TOTAL / 10);
	// The latest messages are not rendered; the way back to them is.
	await expect(items.filter({ hasText: `history message ${TOTAL - 1}` })).toHaveCount(0);
	await page.getByRole('button', { name: 'Jump to latest' }).click();
	await expect(items.filter({ hasText: `history message ${TOTAL - 1}` })).toHaveCount(1);
});

test('a reply’s quote brings back its original from far back, again after jumping to the latest', async ({
	newUser,
	server
}) => {
	const alice = await newUser('alice');
	const { roomId, name } = await longRoom(server, alice, historyId(100));
	const page = await alice.openRoom(roomId);
	const items = page.getByRole('log', { name }).getByRole('listitem');
	const reply = items.filter({ hasText: `history message ${TOTAL - 1}` });
	const quote = reply.getByRole('button', { name: /In reply to/ });
	const original = page.locator(`#message-${historyId(100)}`);
	await expect(quote).toContainText('history message 100');
	await expect(original).toHaveCount(0);

	await quote.click();
	await expect(original).toBeInViewport();
	await page.getByRole('button', { name: 'Jump to latest' }).click();
	await expect(original).toHaveCount(0);

	// The location still names the original, so setting it again would fire no event.
	expect(new URL(page.url()).hash).toBe(`#message-${historyId(100)}`);
	await quote.click();
	await expect(original).toBeInViewport();
	await expect(original.getByRole('listitem')).toHaveText(/history message 100\b/);
});
