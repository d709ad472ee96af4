/**
 * Soft assertions: one run reports the violations of every page, not just the first.
 *
 * axe-core on every page a user reaches: no "serious" or "critical" violations, in the light
 * and the dark colour scheme. The room page is checked with messages, an image attachment, the
 * "New messages" divider and the full-size image dialog, where most of the markup is.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { makeDeviceKeys, registrationBody } from '../support/device';
import { addMember, createRoom, expect, test } from './fixtures';

const BLOCKING = new Set(['serious', 'critical']);

/** A 1×1 PNG. */
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
	'base64'
);

async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
	const results = await new AxeBuilder({ page }).analyze();
	const blocking = results.violations
		.filter((violation) => BLOCKING.has(violation.impact ?? ''))
		.map((violation) => ({
			rule: violation.id,
			impact: violation.impact,
			help: violation.help,
			nodes: violation.nodes.slice(0, 5).map((node) => ({
				target: node.target.join(' '),
				summary: node.failureSummary
			}))
		}));
	expect.soft(blocking, `${what}: ${JSON.stringify(blocking, null, 2)}`).toEqual([]);
}

for (const colorScheme of ['light', 'dark'] as const) {
	test.describe(`in the ${colorScheme} colour scheme`, () => {
		test.use({ colorScheme });

		test('the sign-in and sign-up pages have no serious accessibility violations', async ({
			page
		}) => {
			await page.goto('/login');
			await expect(page.getByRole('button', { name: /sign in|log in/i })).toBeVisible();
			await expectNoSeriousViolations(page, '/login');
			await page.goto('/register');
			await expect(page.getByRole('button', { name: /sign up|register|create/i })).toBeVisible();
			await expectNoSeriousViolations(page, '/register');
		});

		test('the signed-in pages have no serious accessibility violations', async ({ newUser }) => {
			test.slow();
			const alice = await newUser('alice');
			const bob = await newUser('bob');
			const name = `Axe ${Math.random().toString(36).slice(2, 8)}`;
			const roomId = await createRoom(alice.context, name);
			await addMember(alice.context, roomId, bob.username);
			await alice.context.request.post('/api/dms', { data: { username: bob.username } });
			// A stranger's DM: /dms shows it under Requests with Accept and Decline.
			const carol = await newUser('carol');
			await carol.context.request.post('/api/dms', { data: { username: alice.username } });

			// Bob has read the first message; what comes after it is "new" when he comes back.
			const bobFirst = await bob.openRoom(roomId);
			const room = await alice.openRoom(roomId);
			await room.emulateMedia({ colorScheme });
			const box = room.getByRole('textbox', { name: 'Message' });
			await box.fill('Hello axe, see https://example.com');
			await box.press('Enter');
			await expect(bobFirst.getByRole('log').getByText('Hello axe')).toBeVisible();
			await bobFirst.close();
			const chooser = room.waitForEvent('filechooser');
			await room.getByRole('button', { name: 'Attach files' }).click();
			await (await chooser).setFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
			await box.fill('An image');
			await box.press('Enter');
			const log = room.getByRole('log', { name });
			await expect(log.getByRole('img', { name: 'dot.png' })).toBeVisible();
			await expectNoSeriousViolations(room, 'room page');

			const bobRoom = await bob.openRoom(roomId);
			await bobRoom.emulateMedia({ colorScheme });
			await expect(bobRoom.getByRole('separator', { name: 'New messages' })).toBeVisible();
			await expectNoSeriousViolations(bobRoom, 'room page with the "New messages" divider');
			await bobRoom.getByRole('img', { name: 'dot.png' }).click();
			await expect(bobRoom.getByRole('dialog', { name: 'dot.png' })).toBeVisible();
			await expectNoSeriousViolations(bobRoom, 'full-size image view');
			await bobRoom.keyboard.press('Escape');

			const home = await alice.context.newPage();
			await home.emulateMedia({ colorScheme });
			await home.goto('/');
			await expect(home.getByRole('link', { name })).toBeVisible();
			await expectNoSeriousViolations(home, '/');

			await home.goto('/dms');
			await expect(home.getByRole('heading', { name: 'Direct messages' })).toBeVisible();
			await expect(home.getByRole('button', { name: `Accept ${carol.username}` })).toBeVisible();
			await expectNoSeriousViolations(home, '/dms');

			await home.goto('/search?q=hello');
			await expect(home.getByRole('link', { name: /Hello axe/ })).toBeVisible();
			await expectNoSeriousViolations(home, '/search');

			await home.goto(`/rooms/${roomId}/members`);
			await expect(home.getByRole('main').getByText(bob.username)).toBeVisible();
			await expectNoSeriousViolations(home, 'members page');

			// Bob's browser registered its device when his pages opened; then one more (a new phone).
			await home.goto(`/users/${bob.id}`);
			await expect(home.getByRole('group', { name: 'Safety number' })).toHaveText(/\d{5}/);
			await home.getByRole('button', { name: 'Mark as verified' }).click();
			await expect(home.getByText(/^Verified on /)).toBeVisible();
			await expectNoSeriousViolations(home, 'profile with the safety number, verified');
			const phone = makeDeviceKeys();
			const added = await bob.context.request.post('/api/devices', {
				data: registrationBody(bob.id, phone, 'a new phone')
			});
			expect(added.status()).toBe(201);
			await home.reload();
			await expect(home.getByRole('alert')).toContainText('keys changed');
			await expectNoSeriousViolations(home, 'profile with changed keys');
		});
	});
}
