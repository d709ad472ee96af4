/**
 * The JSON API's edges: error answers `{ error }`, reading a validated JSON body, requiring a
 * user, mapping domain failures to statuses, and the one check for redirect targets.
 */
import { json, type RequestEvent } from '@sveltejs/kit';
import type { z } from 'zod';
import type { DeviceFailure } from './devices';
import type { DmFailure } from './dms';
import type { InviteFailure } from './invites';
import type { MembershipFailure } from './memberships';
import type { ToDeviceFailure } from './to-device';
import { parseInput } from './schemas';
import type { User } from './session';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429;

/** Largest JSON body the API reads, in bytes. Every body we accept is far smaller. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

export function jsonError(
	status: ErrorStatus,
	message: string,
	headers?: Record<string, string>
): Response {
	return json({ error: message }, { status, headers });
}

export function tooManyRequests(retryAfterSeconds: number): Response {
	return jsonError(429, 'Too many attempts. Try again later.', {
		'retry-after': String(retryAfterSeconds)
	});
}

export type BodyResult<T> =
	{ readonly ok: true; readonly data: T } | { readonly ok: false; readonly response: Response };

/**
 * Reads the request body as JSON and validates it: 413 if too large, 400 if malformed.
 * With `emptyAs`, a missing body counts as that value (endpoints whose fields are all optional).
 */
export async function readJsonBody<T>(
	request: Request,
	schema: z.ZodType<T>,
	options: { emptyAs?: unknown } = {}
): Promise<BodyResult<T>> {
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > MAX_JSON_BODY_BYTES) {
		return { ok: false, response: jsonError(413, 'The request body is too large.') };
	}
	const text = await request.text();
	if (new TextEncoder().encode(text).byteLength > MAX_JSON_BODY_BYTES) {
		return { ok: false, response: jsonError(413, 'The request body is too large.') };
	}
	let body: unknown = options.emptyAs;
	try {
		if (text.trim() !== '' || !('emptyAs' in options)) body = JSON.parse(text);
	} catch {
		return { ok: false, response: jsonError(400, 'The request body is not valid JSON.') };
	}
	const parsed = parseInput(schema, body);
	if (!parsed.ok) return { ok: false, response: jsonError(400, parsed.message) };
	return { ok: true, data: parsed.data };
}

export type UserResult =
	{ readonly ok: true; readonly user: User } | { readonly ok: false; readonly response: Response };

/** The signed-in user, or a 401 answer for the API. */
export function requireApiUser(event: Pick<RequestEvent, 'locals'>): UserResult {
	const user = event.locals.user;
	if (!user) return { ok: false, response: jsonError(401, 'You are not logged in.') };
	return { ok: true, user };
}

/** Every expected failure of the domain modules; each has one status and message. */
export type Failure =
	MembershipFailure | InviteFailure | DmFailure | DeviceFailure | ToDeviceFailure;

const FAILURE_ANSWERS: Record<Failure, { status: ErrorStatus; message: string }> = {
	'room-not-found': { status: 404, message: 'No such room.' },
	'not-a-member': { status: 403, message: 'You are not a member of this room.' },
	forbidden: { status: 403, message: 'You are not allowed to do that in this room.' },
	'user-not-found': { status: 404, message: 'No such user.' },
	'already-member': { status: 409, message: 'That user is already a member.' },
	'owner-cannot-leave': { status: 403, message: 'The owner cannot leave or be removed.' },
	'direct-message': {
		status: 403,
		message: 'A direct message always has the same members; nobody joins or leaves it.'
	},
	banned: { status: 403, message: 'The owner removed you from this room.' },
	'not-banned': { status: 404, message: 'That user is not banned from this room.' },
	'dm-declined': {
		status: 403,
		message: 'This person declined your message request.'
	},
	'request-not-found': { status: 404, message: 'No such message request.' },
	'cannot-dm-self': { status: 400, message: 'You cannot start a direct message with yourself.' },
	'dm-duplicate': { status: 400, message: 'Name each person once.' },
	'invite-not-found': { status: 404, message: 'This invite link is not valid.' },
	'invite-expired': { status: 410, message: 'This invite link has expired.' },
	'invite-revoked': { status: 410, message: 'This invite link has been revoked.' },
	'invite-used-up': { status: 410, message: 'This invite link has already been used up.' },
	'bad-proof': {
		status: 400,
		message: 'proof is not the signing key’s signature of this registration.'
	},
	'too-many-devices': {
		status: 409,
		message: 'This account has as many devices as it may have; remove one first.'
	},
	'key-in-use': { status: 409, message: 'This signing key is already registered.' },
	'not-your-device': { status: 403, message: 'That is not one of your active devices.' },
	'unknown-device': { status: 404, message: 'A recipient is not an active device.' },
	'inbox-full': { status: 429, message: 'A recipient device has too many unread messages.' }
};

/** The status and message for a domain failure (the API and the forms share them). */
export function describeFailure(reason: Failure): {
	status: ErrorStatus;
	message: string;
} {
	return FAILURE_ANSWERS[reason];
}

export function membershipError(reason: Failure): Response {
	const { status, message } = describeFailure(reason);
	return jsonError(status, message);
}

/** The history reads' failures: membership ones as everywhere, or nothing under that number. */
export function historyError(reason: Failure | 'not-found', notFound = 'Not found.'): Response {
	return reason === 'not-found' ? jsonError(404, notFound) : membershipError(reason);
}

const SELF = 'http://parley.invalid';

/** A path a browser resolves on this site: one leading slash, nothing a URL parser strips. */
function isSitePath(path: string): boolean {
	// eslint-disable-next-line no-control-regex -- control characters are what we refuse
	if (!/^\/(?![/\\])/.test(path) || /[\u0000-\u001f\u007f]/.test(path)) return false;
	return new URL(path, SELF).origin === SELF;
}

/**
 * A redirect target from a query string, kept only when it is a path on this site. The check
 * is on the FINAL path, after the URL parser resolved it: "/..//evil.example" and
 * "/%2e%2e//evil.example" resolve to "//evil.example", a protocol-relative URL to another host.
 */
export function safeRedirectPath(value: string | null | undefined, fallback = '/'): string {
	if (!value || !isSitePath(value)) return fallback;
	const parsed = new URL(value, SELF);
	const target = parsed.pathname + parsed.search + parsed.hash;
	return isSitePath(target) ? target : fallback;
}
