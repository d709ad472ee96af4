/**
 * The protocol version exchanged at connect (src/lib/protocol/wire.ts): a tab whose version the
 * server no longer serves is told so by the real server (close 4426) and offers a reload.
 */
import WebSocket from 'ws';
import { MIN_CLIENT_PROTOCOL_VERSION, PROTOCOL_VERSION_PARAM } from '../../src/lib/protocol/wire';
import { expect, roomOfTwo, test } from './fixtures';

test('a tab the server finds out of date says so and offers a reload', async ({
	newUser,
	server
}) => {
	const { owner: alice, roomId } = await roomOfTwo(newUser, 'Old tab');
	const cookies = await alice.context.cookies();
	const cookie = cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
	const page = await alice.context.newPage();
	// This page's sync socket goes to the real server as a build one version too old would.
	await page.routeWebSocket(/\/sync\//, (route) => {
		const url = new URL(route.url());
		url.searchParams.set(PROTOCOL_VERSION_PARAM, String(MIN_CLIENT_PROTOCOL_VERSION - 1));
		const upstream = new WebSocket(url, { headers: { cookie }, origin: server.url });
		upstream.on('close', (code, reason) => void route.close({ code, reason: reason.toString() }));
		upstream.on('error', () => undefined);
		route.onClose(() => upstream.close());
	});

	await page.goto(`/rooms/${roomId}`);
	const notice = page.getByRole('alert').filter({ hasText: 'older version of Parley' });
	await expect(notice).toBeVisible();
	await expect(notice.getByRole('button', { name: 'Reload' })).toBeVisible();
	await expect(page.getByRole('status')).toHaveText('Offline');
});
