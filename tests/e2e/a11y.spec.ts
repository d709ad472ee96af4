/**
 * Soft assertions: one run reports the violations of every page, not just the first.
 *
 * axe-core on every page a user reaches: no "serious" or "critical" violations, in the light
 * and the dark colour scheme. The room page is checked with messages, an image attachment, the
 * "New messages" divider and the full-size image dialog, where most of the markup is.
 *
 * Each test sets its pages up once and checks them in both schemes (`emulateMedia` switches a
 * live page), and the tests run in parallel: the setup, not axe, is what costs.
 */
import type { Page } from '@playwright/test';
import { makeDeviceKeys, registrationBody } from '../support/device';
import { addMember, axeOn, createRoom, expect, test } from './fixtures';

const BLOCKING = new Set(['serious', 'critical']);

/** A 1×1 PNG. */
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
	'base64'
);

const SCHEMES = ['light', 'dark'] as const;

test.describe.configure({ mode: 'parallel' });

/** Checks the page as it is now, in the light and then the dark colour scheme. */
async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
	for (const colorScheme of SCHEMES) {
		await page.emulateMedia({ colorScheme });
		await expectNoSeriousViolationsNow(page, `${what} (${colorScheme})`);
	}
}

async function expectNoSeriousViolationsNow(page: Page, what: string): Promise<void> {
	const results = await axeOn(page).analyze();
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

test('the sign-in and sign-up pages have no serious accessibility violations', async ({ page }) => {
	await page.goto('/login');
	await expect(page.getByRole('button', { name: /sign in|log in/i })).toBeVisible();
	await expectNoSeriousViolations(page, '/login');
	await page.goto('/register');
	await expect(page.getByRole('button', { name: /sign up|register|create/i })).toBeVisible();
	await expectNoSeriousViolations(page, '/register');
});

test('the room page, its "New messages" divider and the image view have no serious accessibility violations', async ({
	newUser
}) => {
	// Six scans of the largest page (three states, two schemes) take ~55 s on two loaded cores:
	// the scans, not a wait, are what is slow, so this test gets triple time.
	test.slow();
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = `Axe ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(alice.context, name);
	await addMember(alice.context, roomId, bob.username);

	// Bob has read the first message; what comes after it is "new" when he comes back.
	const bobFirst = await bob.openRoom(roomId);
	const room = await alice.openRoom(roomId);
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
	const own = log.getByRole('listitem').filter({ hasText: 'An image' });
	await own.hover();
	await own.getByRole('button', { name: 'Message info' }).click();
	await expect(room.getByRole('dialog', { name: 'Message info' })).toBeVisible();
	await expectNoSeriousViolations(room, 'Message info');
	await room.keyboard.press('Escape');

	const bobRoom = await bob.openRoom(roomId);
	await expect(bobRoom.getByRole('separator', { name: 'New messages' })).toBeVisible();
	await expectNoSeriousViolations(bobRoom, 'room page with the "New messages" divider');
	await bobRoom.getByRole('img', { name: 'dot.png' }).click();
	await expect(bobRoom.getByRole('dialog', { name: 'dot.png' })).toBeVisible();
	await expectNoSeriousViolations(bobRoom, 'full-size image view');
});

test('the home, DMs, search and members pages have no serious accessibility violations', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = `Axe ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(alice.context, name);
	await addMember(alice.context, roomId, bob.username);
	await alice.context.request.post('/api/dms', { data: { username: bob.username } });
	// A stranger's DM: /dms shows it under Requests with Accept and Decline.
	const carol = await newUser('carol');
	await carol.context.request.post('/api/dms', { data: { username: alice.username } });
	const room = await alice.openRoom(roomId);
	const box = room.getByRole('textbox', { name: 'Message' });
	await box.fill('Hello axe');
	await box.press('Enter');
	await expect(room.getByRole('log', { name }).getByText('Sent')).toBeVisible();

	const page = await alice.context.newPage();
	await page.goto('/');
	await expect(page.getByRole('link', { name })).toBeVisible();
	await expectNoSeriousViolations(page, '/');

	await page.goto('/dms');
	await expect(page.getByRole('heading', { name: 'Direct messages' })).toBeVisible();
	await expect(page.getByRole('button', { name: `Accept ${carol.username}` })).toBeVisible();
	await expectNoSeriousViolations(page, '/dms');

	await page.goto('/search?q=hello');
	await expect(page.getByRole('link', { name: /Hello axe/ })).toBeVisible();
	await expectNoSeriousViolations(page, '/search');

	await page.goto(`/rooms/${roomId}/members`);
	await expect(page.getByRole('main').getByText(bob.username)).toBeVisible();
	await expectNoSeriousViolations(page, 'members page');
});

test('a profile with its safety number, verified and then with changed keys, has no serious accessibility violations', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const roomId = await createRoom(alice.context, `Axe ${Math.random().toString(36).slice(2, 8)}`);
	await addMember(alice.context, roomId, bob.username);
	// Opening a room registers this browser's device: a safety number needs one on each side.
	const page = await alice.openRoom(roomId);

	// Bob has a device (a laptop); then one more (a new phone).
	const laptop = await bob.context.request.post('/api/devices', {
		data: registrationBody(bob.id, makeDeviceKeys(), 'a laptop')
	});
	expect(laptop.status()).toBe(201);
	await page.goto(`/users/${bob.id}`);
	await expect(page.getByRole('group', { name: 'Safety number' })).toHaveText(/\d{5}/);
	await page.getByRole('button', { name: 'Mark as verified' }).click();
	await expect(page.getByText(/^Verified on /)).toBeVisible();
	await expectNoSeriousViolations(page, 'profile with the safety number, verified');
	const phone = makeDeviceKeys();
	const added = await bob.context.request.post('/api/devices', {
		data: registrationBody(bob.id, phone, 'a new phone')
	});
	expect(added.status()).toBe(201);
	await page.reload();
	await expect(page.getByRole('alert')).toContainText('keys changed');
	await expectNoSeriousViolations(page, 'profile with changed keys');
});

test('the settings, storage, devices and profile pages have no serious accessibility violations', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	await createRoom(alice.context, `Axe ${Math.random().toString(36).slice(2, 8)}`);

	const page = await alice.context.newPage();
	await page.goto('/settings');
	await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
	await expectNoSeriousViolations(page, '/settings');

	await page.goto('/settings/storage');
	await expect(page.getByRole('heading', { name: 'Rooms on this device' })).toBeVisible();
	await expectNoSeriousViolations(page, '/settings/storage');

	await page.goto('/devices');
	await expect(page.getByRole('heading', { name: 'Your devices' })).toBeVisible();
	await expectNoSeriousViolations(page, '/devices');

	await page.goto('/settings/profile');
	await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
	await expectNoSeriousViolations(page, 'profile page');
});

// Apart from the settings pages: fourteen scans in one test took longer than a test may here.
test('an archived room and the invite page have no serious accessibility violations', async ({
	newUser
}) => {
	const alice = await newUser('alice');
	const bob = await newUser('bob');
	const name = `Axe ${Math.random().toString(36).slice(2, 8)}`;
	const roomId = await createRoom(alice.context, name);
	const created = await alice.context.request.post(`/api/rooms/${roomId}/invites`, { data: {} });
	expect(created.status()).toBe(201);
	const invite = (await created.json()) as { url: string };
	const page = await alice.context.newPage();

	// An archived room: the notice instead of the composer, listed apart in the sidebar.
	const archivedName = `Archived ${Math.random().toString(36).slice(2, 8)}`;
	const archivedId = await createRoom(alice.context, archivedName);
	const archived = await alice.context.request.patch(`/api/rooms/${archivedId}`, {
		data: { archived: true, topic: 'Kept for the record' }
	});
	expect(archived.status()).toBe(200);
	await page.goto(`/rooms/${archivedId}`);
	await expect(page.getByText('This room is archived')).toBeVisible();
	await expect(page.getByText('Kept for the record')).toBeVisible();
	await expectNoSeriousViolations(page, 'archived room page');

	const guest = await bob.context.newPage();
	await guest.goto(invite.url);
	await expect(guest.getByRole('heading', { name: `You are invited to ${name}` })).toBeVisible();
	await expectNoSeriousViolations(guest, 'invite page');
});
