/**
 * Signing up, logging in and out: the steps the JSON API and the form actions share
 * (rate limits, credentials, session, cookie). Inputs are already validated by schemas.ts.
 * Login limits (docs/design.md "Accounts and login limits"): failed logins per client address
 * across usernames, and per account in buckets by origin (known device, known address, stranger).
 */
import type { Cookies } from '@sveltejs/kit';
import { deleteSessionCookie, setDeviceCookie, setSessionCookie } from './cookies';
import {
	DEVICE_COOKIE,
	newDeviceToken,
	parseDeviceToken,
	recognizeLogin,
	rememberLogin
} from './known-logins';
import { loginKey, type RateLimiter, type RateLimitVerdict } from './rate-limit';
import type { LoginInput, RegisterInput } from './schemas';
import type { Services } from './services';
import { createSession, invalidateSession, sessionExpiresAt, type User } from './session';
import { REGISTER_REFUSALS, authenticateUser, createUser } from './users';

export type AuthResult =
	| { readonly ok: true; readonly user: User }
	| { readonly ok: false; readonly status: 401 | 409; readonly message: string }
	| {
			readonly ok: false;
			readonly status: 429;
			readonly message: string;
			readonly retryAfterSeconds: number;
	  };

export interface AuthContext {
	readonly services: Services;
	readonly cookies: Cookies;
	readonly clientAddress: string;
}

/** The answer when a limiter refuses: the same for sign-ups and logins. */
function tooMany(verdict: Extract<RateLimitVerdict, { allowed: false }>): AuthResult {
	return {
		ok: false,
		status: 429,
		message: 'Too many attempts. Try again later.',
		retryAfterSeconds: verdict.retryAfterSeconds
	};
}

/** A session, and the device and address remembered as known for later logins. */
async function startSession(context: AuthContext, user: User): Promise<void> {
	const { accounts } = context.services.storage;
	const { session, token } = await createSession(accounts, user.id);
	const { cookies } = context;
	const inactivityDays = context.services.config.SESSION_INACTIVITY_DAYS;
	setSessionCookie(cookies, token, sessionExpiresAt(session, inactivityDays));
	const device = parseDeviceToken(cookies.get(DEVICE_COOKIE)) ?? newDeviceToken();
	setDeviceCookie(cookies, device);
	await rememberLogin(accounts, user.id, device, context.clientAddress);
}

export async function signUp(context: AuthContext, input: RegisterInput): Promise<AuthResult> {
	const verdict = context.services.limits.register.consume(context.clientAddress);
	if (!verdict.allowed) return tooMany(verdict);
	const { accounts } = context.services.storage;
	const created = await createUser(accounts, input.username, input.password);
	if (!created.ok) return { ok: false, status: 409, message: REGISTER_REFUSALS[created.reason] };
	await startSession(context, created.user);
	return { ok: true, user: created.user };
}

export async function logIn(context: AuthContext, input: LoginInput): Promise<AuthResult> {
	const { accounts } = context.services.storage;
	const account = await accounts.findUserByUsername(input.username);
	const device = parseDeviceToken(context.cookies.get(DEVICE_COOKIE));
	// An unknown name is a stranger's attempt like any other: the answers must not differ.
	const origin = account
		? await recognizeLogin(accounts, account.id, device, context.clientAddress)
		: ({ kind: 'stranger' } as const);
	// Attempts are counted before the password is checked, so parallel guesses cannot all slip
	// past a limit while the hashes run; a success gives its attempt back.
	const counted: [RateLimiter, string][] = [];
	// A known device is exempt from its address's limit: a neighbour spraying from a shared
	// address (a NAT, an office) must not lock out the people who log in there every day.
	const { limits } = context.services;
	if (origin.kind !== 'device') counted.push([limits.loginAddress, context.clientAddress]);
	counted.push([limits.login, loginKey(input.username, context.clientAddress, origin)]);
	for (const [index, [limiter, key]] of counted.entries()) {
		const verdict = limiter.consume(key);
		if (!verdict.allowed) {
			for (const [earlier, earlierKey] of counted.slice(0, index)) earlier.refund(earlierKey);
			return tooMany(verdict);
		}
	}
	const user = await authenticateUser(accounts, input.username, input.password);
	// One message for an unknown name and a wrong password: the answer must not reveal names.
	if (!user) return { ok: false, status: 401, message: 'Wrong username or password.' };
	for (const [limiter, key] of counted) limiter.refund(key);
	await startSession(context, user);
	return { ok: true, user };
}

export async function logOut(
	services: Services,
	cookies: Cookies,
	sessionId: string | undefined
): Promise<void> {
	if (sessionId) {
		await invalidateSession(services.storage.accounts, sessionId);
		services.events.emit('session-ended', { sessionId });
	}
	deleteSessionCookie(cookies);
}
