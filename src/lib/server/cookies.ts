/**
 * The session and device cookies, set and cleared in one place for the hooks, the API and the
 * forms.
 */
import type { Cookies } from '@sveltejs/kit';
import { getConfig } from './config';
import { DEVICE_COOKIE, KNOWN_LOGIN_DAYS } from './known-logins';
import { SESSION_COOKIE } from './session';

function cookieOptions(): { path: '/'; httpOnly: true; sameSite: 'lax'; secure: boolean } {
	return { path: '/', httpOnly: true, sameSite: 'lax', secure: getConfig().secureCookies };
}

export function setSessionCookie(cookies: Cookies, token: string, expiresAt: Date): void {
	cookies.set(SESSION_COOKIE, token, { ...cookieOptions(), expires: expiresAt });
}

export function deleteSessionCookie(cookies: Cookies): void {
	cookies.delete(SESSION_COOKIE, cookieOptions());
}

/** The device token (known-logins.ts); it outlives sessions and logouts on purpose. */
export function setDeviceCookie(cookies: Cookies, token: string): void {
	cookies.set(DEVICE_COOKIE, token, {
		...cookieOptions(),
		maxAge: KNOWN_LOGIN_DAYS * 24 * 60 * 60
	});
}
