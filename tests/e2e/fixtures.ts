/**
 * Playwright fixtures: one real Parley server per worker, browser contexts (one per user)
 * whose sync sockets can be cut, and API helpers that share each context's cookies.
 */
import AxeBuilder from '@axe-core/playwright';
import {
	test as base,
	expect,
	type Browser,
	type BrowserContext,
	type Page,
	type WebSocketRoute
} from '@playwright/test';
import { roomsKey } from '../../src/lib/client/offline-data';
import { startServer, type ServerHandle } from '../support/server';
import { replicaHoldsText } from '../support/replica-probe';

export { expect };

export interface RegisteredUser {
	readonly id: string;
	readonly username: string;
}

export interface ChatUser extends RegisteredUser {
	readonly context: BrowserContext;
	/** Opens the room page in a new tab and waits for it to be online. */
	openRoom(roomId: string): Promise<Page>;
}

/** The routed sync sockets of a context and whether the context is cut off. */
interface NetworkSwitch {
	offline: boolean;
	readonly sockets: Set<{ page: WebSocketRoute; server: WebSocketRoute }>;
}

const switches = new WeakMap<BrowserContext, NetworkSwitch>();

function switchOf(context: BrowserContext): NetworkSwitch {
	const found = switches.get(context);
	if (!found) throw new Error('context was not created by newChatContext()');
	return found;
}

/** A close as it may be sent on: 1005/1006 (no code, abnormal) are reported, never sent. */
function sendableClose(
	code: number | undefined,
	reason: string | undefined
): { code?: number; reason?: string } {
	return code === 1000 || (code !== undefined && code >= 3000 && code <= 4999)
		? { code, reason }
		: {};
}

/**
 * A context whose sync sockets pass through Playwright, so goOffline can cut them:
 * `context.setOffline(true)` alone leaves open WebSockets open.
 */
export async function newChatContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
	const context = await browser.newContext({ baseURL });
	const state: NetworkSwitch = { offline: false, sockets: new Set() };
	switches.set(context, state);
	await context.routeWebSocket(/\/sync\//, (ws) => {
		if (state.offline) {
			void ws.close();
			return;
		}
		const pair = { page: ws, server: ws.connectToServer() };
		state.sockets.add(pair);
		// Setting a close handler turns Playwright's own forwarding off: pass the close (and its
		// code: 4409, 4401, 4403 mean something to the client) on to the other side ourselves.
		ws.onClose((code, reason) => {
			state.sockets.delete(pair);
			void pair.server.close(sendableClose(code, reason));
		});
		pair.server.onClose((code, reason) => {
			state.sockets.delete(pair);
			void ws.close(sendableClose(code, reason));
		});
	});
	return context;
}

export async function goOffline(context: BrowserContext): Promise<void> {
	const state = switchOf(context);
	state.offline = true;
	await context.setOffline(true);
	const open = [...state.sockets];
	state.sockets.clear();
	await Promise.all(open.flatMap(({ page, server }) => [server.close(), page.close()]));
}

/** The server is unreachable but the browser's network is up: sync sockets fail, pages load. */
export async function cutSyncOnly(context: BrowserContext): Promise<void> {
	const state = switchOf(context);
	state.offline = true;
	const open = [...state.sockets];
	state.sockets.clear();
	await Promise.all(open.flatMap(({ page, server }) => [server.close(), page.close()]));
}

export async function goOnline(context: BrowserContext): Promise<void> {
	switchOf(context).offline = false;
	await context.setOffline(false);
}

let counter = 0;
function uniqueName(prefix: string): string {
	counter++;
	return `${prefix}${counter}_${Math.random().toString(36).slice(2, 7)}`;
}

async function postJson<T>(
	context: BrowserContext,
	path: string,
	data: unknown,
	expectedStatus: number
): Promise<T> {
	const response = await context.request.post(path, { data });
	if (response.status() !== expectedStatus) {
		throw new Error(`POST ${path}: ${response.status()} ${await response.text()}`);
	}
	return (await response.json()) as T;
}

/** Registers a fresh user; the session cookie lands in the context. */
export async function registerUser(
	context: BrowserContext,
	baseURL: string,
	prefix = 'user'
): Promise<RegisteredUser> {
	const username = uniqueName(prefix);
	const body = await postJson<RegisteredUser>(
		context,
		new URL('/api/auth/register', baseURL).href,
		{ username, password: 'correct horse battery' },
		201
	);
	return { id: body.id, username: body.username };
}

export async function createRoom(
	context: BrowserContext,
	name: string,
	visibility: 'public' | 'private' = 'private'
): Promise<string> {
	const body = await postJson<{ id: string }>(context, '/api/rooms', { name, visibility }, 201);
	return body.id;
}

export async function addMember(
	context: BrowserContext,
	roomId: string,
	username: string
): Promise<void> {
	await postJson(context, `/api/rooms/${roomId}/members`, { username }, 201);
}

/** A room name no other test uses; the prefix says which test made it. */
export function roomName(prefix: string): string {
	return `${prefix} ${Math.random().toString(36).slice(2, 8)}`;
}

/** A private room owned by `owner` with `member` added. */
export async function sharedRoom(owner: ChatUser, member: ChatUser, name: string): Promise<string> {
	const roomId = await createRoom(owner.context, name, 'private');
	await addMember(owner.context, roomId, member.username);
	return roomId;
}

/**
 * Types `text` into the composer and presses Send. It does not wait for anything: the caller
 * checks what it expects (a sent message, a refusal, an offline outbox).
 */
export async function submitMessage(page: Page, text: string): Promise<void> {
	await page.getByRole('textbox', { name: 'Message' }).fill(text);
	await page.getByRole('button', { name: 'Send' }).click();
}

export const test = base.extend<
	{ newUser: (prefix?: string) => Promise<ChatUser> },
	{
		server: ServerHandle;
		/** Extra server environment for a spec: `test.use({ serverEnv: { … } })` (own worker). */
		serverEnv: Readonly<Record<string, string>>;
	}
>({
	serverEnv: [{}, { option: true, scope: 'worker' }],
	server: [
		async ({ serverEnv }, use) => {
			// One server serves a worker's every test, each registering its users from one address:
			// the per-address sign-up limit (100 per 10 minutes, tested in the integration suite)
			// would refuse the suite itself.
			const server = await startServer({
				env: { REGISTER_MAX_PER_WINDOW: '100000', ...serverEnv }
			});
			await use(server);
			await server.dispose();
		},
		{ scope: 'worker' }
	],

	baseURL: async ({ server }, use) => {
		await use(server.url);
	},

	newUser: async ({ browser, server }, use) => {
		const contexts: BrowserContext[] = [];
		await use(async (prefix = 'user') => {
			const context = await newChatContext(browser, server.url);
			contexts.push(context);
			const user = await registerUser(context, server.url, prefix);
			return {
				...user,
				context,
				async openRoom(roomId) {
					const page = await context.newPage();
					await page.goto(`/rooms/${roomId}`);
					await expect(page.getByRole('status')).toHaveText('Online');
					return page;
				}
			};
		});
		await Promise.all(contexts.map((context) => context.close()));
	}
});

/**
 * Opens `path` and waits until the layout has registered this browser's device keys (a new
 * device: 201). Encrypted rooms and DMs share their keys with registered devices only.
 */
export async function openAndRegister(page: Page, path: string): Promise<void> {
	const registered = page.waitForResponse(
		(response) =>
			new URL(response.url()).pathname === '/api/devices' && response.request().method() === 'POST'
	);
	await page.goto(path);
	expect((await registered).status()).toBe(201);
}

/**
 * Waits for `page` to share an encrypted room's session (its to-device request): what it sends
 * afterwards is readable by the members it shared with as soon as they read their inbox.
 */
export function sessionShared(page: Page): Promise<unknown> {
	return page.waitForResponse(
		(response) =>
			new URL(response.url()).pathname === '/api/to-device' &&
			response.request().method() === 'POST' &&
			response.status() === 201
	);
}

/** Signs an existing user in from another browser context (another device). */
export async function logIn(context: BrowserContext, username: string): Promise<void> {
	await postJson(context, '/api/auth/login', { username, password: 'correct horse battery' }, 200);
}

/**
 * Waits until a service worker controls the page and holds a copy of each path for offline
 * starts (the worker caches pages in the background: poll CacheStorage, as a test may).
 */
export async function waitUntilAvailableOffline(
	page: Page,
	paths: readonly string[]
): Promise<void> {
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	// A page whose navigation started just before the first worker activated can stay
	// uncontrolled; the next load of it is controlled.
	if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
		await page.reload();
	}
	await expect
		.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
		.toBe(true);
	for (const path of paths) {
		await expect
			.poll(() =>
				page.evaluate(
					async (url) => (await caches.match(url, { ignoreVary: true })) !== undefined,
					path
				)
			)
			.toBe(true);
	}
}

/**
 * Waits until the home page (open in `page`) has saved the room list with `roomName` in it:
 * it does so once hydrated, and offline pages (search) name rooms from that list.
 */
export async function waitUntilRoomsSaved(
	page: Page,
	userId: string,
	roomName: string
): Promise<void> {
	await expect
		.poll(() => page.evaluate((key) => localStorage.getItem(key) ?? '', roomsKey(userId)))
		.toContain(roomName);
}

/**
 * Waits until `text` is in the room's IndexedDB replica: y-indexeddb writes after the change,
 * so closing or reloading a page right after an offline send could lose it otherwise.
 */
export async function waitUntilSavedLocally(
	page: Page,
	userId: string,
	roomId: string,
	text: string
): Promise<void> {
	await expect
		.poll(() => page.evaluate(replicaHoldsText, { name: `parley:${userId}:${roomId}`, text }))
		.toBe(true);
}

/** Two fresh users (named after the prefixes) sharing a new private room owned by the first. */
export async function roomOfTwo(
	newUser: (prefix?: string) => Promise<ChatUser>,
	roomPrefix: string,
	memberPrefix = 'bob'
): Promise<{ owner: ChatUser; member: ChatUser; name: string; roomId: string }> {
	const owner = await newUser('alice');
	const member = await newUser(memberPrefix);
	const name = roomName(roomPrefix);
	const roomId = await sharedRoom(owner, member, name);
	return { owner, member, name, roomId };
}

/**
 * Holds the app's scripts until `hydrate()` is called, so the page stays as the server rendered
 * it (not interactive) while a test types into it; `hydrate()` lets them load and resolves once
 * the page has hydrated (the layout opens its summary socket then).
 */
export async function holdHydration(page: Page): Promise<{ hydrate(): Promise<void> }> {
	let release = (): void => undefined;
	const released = new Promise<void>((resolve) => (release = resolve));
	await page.route('**/_app/immutable/**/*.js', async (route) => {
		await released;
		await route.continue();
	});
	return {
		async hydrate() {
			const hydrated = page.waitForEvent('websocket', (ws) => ws.url().includes('_summaries'));
			release();
			await hydrated;
		}
	};
}

/**
 * axe on the page, reading only violations: axe then builds no selectors for what passed, which
 * on a page of a few thousand nodes is most of its time. Violations are reported in full.
 */
export function axeOn(page: Page): AxeBuilder {
	return new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
}
