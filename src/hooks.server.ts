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
 * A page's answer names its stylesheets for preloading (its `Link` header), not its ~40 script
 * modules. Fetching and compiling those while the page is parsed held its first paint back by
 * 25-40 ms on 2 cores (bench/results/issue15.md, session 18): the server-rendered page (the
 * sidebar with every count) now shows first, and the scripts load from the page's own
 * `import()`s while it is on screen.
 */
const preloadStylesOnly: Handle = ({ event, resolve }) =>
	resolve(event, { preload: ({ type }) => type === 'css' });

export const handle: Handle = sequence(
	provideServices,
	limitBody,
	clientAddress,
	authenticate,
	guardPages,
	preloadStylesOnly
);
