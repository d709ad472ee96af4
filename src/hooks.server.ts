/**
 * Every request: cut its body at the route's limit while it streams in, answer
 * `getClientAddress()` from behind trusted proxies, find the user from the
 * session cookie, then keep signed-out visitors away from the pages that need an account
 * (/ and /rooms/...), sending them to log in first.
 */
import { redirect, type Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { createProxyList, resolveClientAddress, type ProxyList } from '$lib/server/client-address';
import { bodyLimitFor, declaresTooMuch, isUploadRoute, readBodyWithin } from '$lib/server/body';
import { deleteSessionCookie, setSessionCookie } from '$lib/server/cookies';
import { jsonError } from '$lib/server/http';
import { devServices, servicesFromPlatform } from '$lib/server/services';
import { SESSION_COOKIE, sessionExpiresAt, verifySessionToken } from '$lib/server/session';

let proxies: ProxyList | undefined;

/**
 * The services the composition root built (src/lib/server/services.ts): on the request in
 * production (sync-server/main.ts), from the dev plugin under `npm run dev`.
 */
const provideServices: Handle = async ({ event, resolve }) => {
	const services = servicesFromPlatform(event.platform) ?? devServices();
	if (!services) throw new Error('no services: start the app with sync-server/main.ts');
	event.locals.services = services;
	return resolve(event);
};

/**
 * `getClientAddress()` answers the client behind our reverse proxies (client-address.ts), so
 * every route and form action that limits by address asks the same question the same way.
 */
const clientAddress: Handle = async ({ event, resolve }) => {
	proxies ??= createProxyList(event.locals.services.config.TRUSTED_PROXIES);
	const trusted = proxies;
	const peer = event.getClientAddress;
	let address: string | undefined;
	event.getClientAddress = () =>
		(address ??= resolveClientAddress(
			peer(),
			event.request.headers.get('x-forwarded-for'),
			trusted
		));
	return resolve(event);
};

/**
 * adapter-node's BODY_SIZE_LIMIT is one number for the whole app and uploads need 25 MiB, so
 * the per-route limit is enforced here, before any route reads a byte: a declared length past
 * it, or a streamed body that passes it, is answered 413 at once and the rest is never read.
 * Other bodies (at most 16 KiB) are read here and handed on; an upload streams to its route,
 * which checks the user and the room before reading. What a route leaves unread is discarded,
 * bounded, by sync-server/linger.ts.
 */
const limitBody: Handle = async ({ event, resolve }) => {
	const { request } = event;
	if (!request.body) return resolve(event);
	const tooLarge = (): Response => jsonError(413, 'The request body is too large.');
	const pathname = event.url.pathname;
	const limit = bodyLimitFor(
		request.method,
		pathname,
		event.locals.services.config.MAX_UPLOAD_BYTES
	);
	if (declaresTooMuch(request, limit)) return tooLarge();
	if (isUploadRoute(request.method, pathname)) return resolve(event);
	const read = await readBodyWithin(request.body, limit);
	if (!read.ok) return tooLarge();
	event.request = new Request(request, { body: read.bytes });
	return resolve(event);
};

const authenticate: Handle = async ({ event, resolve }) => {
	const token = event.cookies.get(SESSION_COOKIE);
	event.locals.user = null;
	event.locals.session = null;
	if (!token) return resolve(event);

	const inactivityDays = event.locals.services.config.SESSION_INACTIVITY_DAYS;
	const result = await verifySessionToken(
		event.locals.services.storage.accounts,
		token,
		inactivityDays
	);
	if (!result.session) {
		deleteSessionCookie(event.cookies);
		return resolve(event);
	}
	if (result.renewed) {
		setSessionCookie(event.cookies, token, sessionExpiresAt(result.session, inactivityDays));
	}
	event.locals.user = result.user;
	event.locals.session = result.session;
	return resolve(event);
};

function needsAccount(pathname: string): boolean {
	return (
		pathname === '/' ||
		pathname === '/rooms' ||
		pathname.startsWith('/rooms/') ||
		pathname === '/dms' ||
		pathname === '/devices' ||
		pathname === '/search' ||
		pathname.startsWith('/invite/')
	);
}

const guardPages: Handle = async ({ event, resolve }) => {
	if (!event.locals.user && needsAccount(event.url.pathname)) {
		// After a POST (a form action) come back to the page itself, not to the action URL.
		const target =
			event.request.method === 'GET' ? event.url.pathname + event.url.search : event.url.pathname;
		const query = target === '/' ? '' : `?redirectTo=${encodeURIComponent(target)}`;
		redirect(303, `/login${query}`);
	}
	return resolve(event);
};

/**
 * A page whose content is in its server-rendered HTML preloads its stylesheets (its `Link`
 * header), and its script modules only once it is on screen. SvelteKit's default names the ~40
 * modules in the `Link` header: the browser fetched and compiled them while it parsed the page,
 * which held the first paint (the sidebar with every count, the home list) back by 25-40 ms on
 * 2 cores. Left to the page's boot script alone, they would load level by level from its
 * `import()`s, a round trip each on a real network; so the page asks for all of them at once
 * after its first paint (`afterFirstPaint`). A room page keeps the default: its messages come
 * from the replica, through those scripts, so they are what it waits for (a room's open was
 * 20-25 ms slower without). Measured in bench/results/issue15.md, session 18; tested in
 * tests/integration/page-preload.test.ts and tests/e2e/shell.spec.ts.
 */
const preloadScriptsAfterPaint: Handle = ({ event, resolve }) => {
	if (event.route.id === '/rooms/[id]') return resolve(event);
	const scripts: string[] = [];
	return resolve(event, {
		preload: ({ type, path }) => {
			if (type === 'js') scripts.push(path);
			return type === 'css';
		},
		transformPageChunk: ({ html, done }) => {
			const end = done && scripts.length > 0 ? html.lastIndexOf('</body>') : -1;
			return end < 0 ? html : html.slice(0, end) + afterFirstPaint(scripts) + html.slice(end);
		}
	});
};

/**
 * An inline script that adds a `<link rel="modulepreload">` per path once the page has painted
 * (a `paint` entry is reported when the frame is on screen). A tab that never paints (hidden)
 * gets them from the boot script's imports as they are needed.
 */
function afterFirstPaint(paths: readonly string[]): string {
	const list = JSON.stringify(paths).replaceAll('<', '\\u003c');
	return `<script>new PerformanceObserver((_, observer) => {
	observer.disconnect();
	for (const href of ${list}) {
		const link = document.createElement('link');
		link.rel = 'modulepreload';
		link.href = href;
		document.head.append(link);
	}
}).observe({ type: 'paint', buffered: true });</script>`;
}

export const handle: Handle = sequence(
	provideServices,
	limitBody,
	clientAddress,
	authenticate,
	guardPages,
	preloadScriptsAfterPaint
);
