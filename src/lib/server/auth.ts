/**
 * Signing up, logging in and out: the steps the JSON API and the form actions share
 * (rate limits, credentials, session, cookie). Inputs are already validated by schemas.ts.
 */
import type { Cookies } from '@sveltejs/kit';
import { getConfig } from './config';
import { deleteSessionCookie, setSessionCookie } from './cookies';
import { getDb } from './db';
import { getEvents } from './events';
import {
	createRateLimiter,
	loginKey,
	type RateLimiter,
	type RateLimiterOptions,
	type RateLimitVerdict
} from './rate-limit';
import type { LoginInput, RegisterInput } from './schemas';
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
	readonly cookies: Cookies;
	readonly clientAddress: string;
}

/** A limiter built on first use, so config is read when a request needs it, not at import. */
function lazyLimiter(options: () => RateLimiterOptions): () => RateLimiter {
	let limiter: RateLimiter | undefined;
	return () => (limiter ??= createRateLimiter(options()));
}

const getLoginLimiter = lazyLimiter(() => ({
	maxAttempts: getConfig().LOGIN_MAX_ATTEMPTS,
	windowMs: getConfig().LOGIN_WINDOW_SECONDS * 1000
}));

/** Sign-ups per client address: generous by default, it only stops floods. */
const getRegisterLimiter = lazyLimiter(() => ({
	maxAttempts: getConfig().REGISTER_MAX_PER_WINDOW,
	windowMs: getConfig().REGISTER_WINDOW_SECONDS * 1000
}));

/** The answer when a limiter refuses: the same for sign-ups and logins. */
function tooMany(verdict: Extract<RateLimitVerdict, { allowed: false }>): AuthResult {
	return {
		ok: false,
		status: 429,
		message: 'Too many attempts. Try again later.',
		retryAfterSeconds: verdict.retryAfterSeconds
	};
}

function startSession(cookies: Cookies, user: User): void {
	const { session, token } = createSession(getDb(), user.id);
	setSessionCookie(cookies, token, sessionExpiresAt(session, getConfig().SESSION_INACTIVITY_DAYS));
}

export async function signUp(context: AuthContext, input: RegisterInput): Promise<AuthResult> {
	const verdict = getRegisterLimiter().consume(context.clientAddress);
	if (!verdict.allowed) return tooMany(verdict);
	const created = await createUser(getDb(), input.username, input.password);
	if (!created.ok) return { ok: false, status: 409, message: REGISTER_REFUSALS[created.reason] };
	startSession(context.cookies, created.user);
	return { ok: true, user: created.user };
}

export async function logIn(context: AuthContext, input: LoginInput): Promise<AuthResult> {
	const key = loginKey(input.username, context.clientAddress);
	const limiter = getLoginLimiter();
	const verdict = limiter.consume(key);
	if (!verdict.allowed) return tooMany(verdict);
	const user = await authenticateUser(getDb(), input.username, input.password);
	// One message for an unknown name and a wrong password: the answer must not reveal names.
	if (!user) return { ok: false, status: 401, message: 'Wrong username or password.' };
	limiter.reset(key);
	startSession(context.cookies, user);
	return { ok: true, user };
}

export function logOut(cookies: Cookies, sessionId: string | undefined): void {
	if (sessionId) invalidateSession(getDb(), sessionId);
	if (sessionId) getEvents().emit('session-ended', { sessionId });
	deleteSessionCookie(cookies);
}
