/**
 * Every request: find the user from the session cookie, then keep signed-out visitors away
 * from the pages that need an account (/ and /rooms/...), sending them to log in first.
 */
import { redirect, type Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { createProxyList, resolveClientAddress, type ProxyList } from '$lib/server/client-address';
import { getConfig } from '$lib/server/config';
import { deleteSessionCookie, setSessionCookie } from '$lib/server/cookies';
import { getDb } from '$lib/server/db';
import { SESSION_COOKIE, sessionExpiresAt, validateSessionToken } from '$lib/server/session';

let proxies: ProxyList | undefined;

/**
 * `getClientAddress()` answers the client behind our reverse proxies (client-address.ts), so
 * every route and form action that limits by address asks the same question the same way.
 */
const clientAddress: Handle = async ({ event, resolve }) => {
	proxies ??= createProxyList(getConfig().TRUSTED_PROXIES);
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

const authenticate: Handle = async ({ event, resolve }) => {
	const token = event.cookies.get(SESSION_COOKIE);
	event.locals.user = null;
	event.locals.session = null;
	if (!token) return resolve(event);

	const inactivityDays = getConfig().SESSION_INACTIVITY_DAYS;
	const result = validateSessionToken(getDb(), token, inactivityDays);
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

export const handle: Handle = sequence(clientAddress, authenticate, guardPages);
