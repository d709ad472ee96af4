/**
 * The session cookie, set and cleared in one place for the hooks, the API and the forms.
 */
import type { Cookies } from '@sveltejs/kit';
import { getConfig } from './config';
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
