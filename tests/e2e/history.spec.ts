/**
 * Issue 16, item 2: a readable history. Day separators ("Today", "Yesterday"), runs of messages
 * by one author shown without repeating name and time, older messages loaded by scrolling up
 * (no button press), and a "Jump to latest" that appears once the reader scrolled away.
 */
import { storeMessagesAsSnapshot } from '../support/stored';
import { createRoom, expect, test } from './fixtures';

const OLDER = 150;
const YESTERDAY = 20;
const TODAY = 30;

function messageId(n: number): string {
	return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Older days, yesterday, today; today's in runs of three by one author, 10 s apart. */
function history(alice: string, bob: string): Record<string, unknown>[] {
	const todayStart = new Date();
	todayStart.setHours(0, 0, 0, 0);
	const start = todayStart.getTime();
	const now = Date.now();
	const todaySpan = Math.min(now - start, 30 * 60_000);
	return Array.from({ length: OLDER + YESTERDAY + TODAY }, (_, n) => {
		let ts: number;
		if (n < OLDER) ts = start - 5 * 86_400_000 + n * 60_000;
		else if (n < OLDER + YESTERDAY) ts = start - 12 * 3_600_000 + (n - OLDER) * 60_000;
		else ts = now - todaySpan + ((n - OLDER - YESTERDAY) * todaySpan) / (TODAY + 1);
		const run = Math.floor(n / 3);
		return {
			id: messageId(n),
			author: run % 2 === 0 ? alice : bob,
			text: `history line ${n}`,
			ts: Math.round(ts)
		};
	});
}

for (const width of [1280, 390]) {
	test(`days are marked, runs grouped, older messages load on scrolling up, and the way back is one click (${width} px)`, async ({
		newUser,
		server
	}) => {
		const alice = await newUser('alice');
		const name = `History ${Math.random().toString(36).slice(2, 8)}`;
		const roomId = await createRoom(alice.context, name);
		const bobId = '11111111-1111-4111-8111-111111111111';
		await storeMessagesAsSnapshot(server.dataDir, roomId, history(alice.id, bobId));
		const page = await alice.context.newPage();
		await page.setViewportSize({ width, height: 800 });
		await page.goto(`/rooms/${roomId}`);
		const log = page.getByRole('log', { name });
		const items = log.getByRole('listitem');
		const line = (n: number) => items.filter({ hasText: new RegExp(`history line ${n}\\b`) });

		const last = OLDER + YESTERDAY + TODAY - 1;
		await expect(line(last)).toBeInViewport();
		// Item 4: at the end of a long conversation the connection state is still in sight.
		await expect(page.getByRole('status')).toHaveText('Online');
		await expect(page.getByRole('status')).toBeInViewport();
		await expect(log.getByRole('heading', { name: 'Today' })).toHaveCount(1);
		await expect(log.getByRole('heading', { name: 'Yesterday' })).toHaveCount(1);

		// A run: the first message names its author, the next two of the same minute do not.
		// Today's first run by one author (runs are three messages; see history()).
		const first = Math.ceil((OLDER + YESTERDAY) / 3) * 3;
		const runStart = line(first);
		const runNext = line(first + 1);
		const shownWidth = async (locator: typeof runStart): Promise<number> =>
			(await locator.locator('.author').boundingBox())?.width ?? 0;
		expect(await shownWidth(runStart)).toBeGreaterThan(5);
		expect(await shownWidth(runNext)).toBeLessThanOrEqual(1);
		// The name is still there for screen readers.
		await expect(runNext.locator('.author')).toHaveText(
			await runStart.locator('.author').innerText()
		);

		// Scrolling up (no button) brings older messages in, until the oldest is there.
		const rendered = await items.count();
		await expect(page.getByRole('button', { name: 'Jump to latest' })).toHaveCount(0);
		await expect(async () => {
			await page.mouse.move(width / 2, 400);
			await page.mouse.wheel(0, -4000);
			await expect(line(0)).toHaveCount(1, { timeout: 1_000 });
		}).toPass({ timeout: 30_000 });
		expect(await items.count()).toBeGreaterThan(rendered);

		// Far from the end, one click brings the latest back.
		const jump = page.getByRole('button', { name: 'Jump to latest' });
		await expect(jump).toBeVisible();
		await jump.click();
		await expect(line(last)).toBeInViewport();
		await expect(jump).toHaveCount(0);
	});
}
