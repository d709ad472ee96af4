/**
 * Schemas for everything that arrives in a request body or form, and one way to turn their
 * failures into messages. Validate here, at the boundary; code behind it trusts the types.
 */
import { z } from 'zod';
import { MAX_DEVICE_NAME_CHARS, PUBLIC_KEY_TEXT, SIGNATURE_TEXT } from '../protocol/device-keys';
import { DEVICE_ID } from '../protocol/schema';
import { SEALED_SHARE } from '../protocol/sender-keys';
import { MAX_TO_DEVICE_PER_REQUEST } from './to-device';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const ROOM_NAME_MAX = 80;

export const UsernameSchema = z
	.string({ error: 'Username is required.' })
	.trim()
	.min(USERNAME_MIN, `Username must be at least ${USERNAME_MIN} characters.`)
	.max(USERNAME_MAX, `Username must be at most ${USERNAME_MAX} characters.`)
	.regex(
		/^[a-zA-Z0-9_.-]+$/,
		'Username may contain only letters, digits, underscores, dots and hyphens.'
	);

const PasswordSchema = z
	.string({ error: 'Password is required.' })
	.min(PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters.`)
	.max(PASSWORD_MAX, `Password must be at most ${PASSWORD_MAX} characters.`);

export const RegisterSchema = z
	.object({ username: UsernameSchema, password: PasswordSchema })
	.refine((value) => value.password.toLowerCase() !== value.username.toLowerCase(), {
		path: ['password'],
		error: 'Password must not be the same as the username.'
	});
export type RegisterInput = z.infer<typeof RegisterSchema>;

/** Login checks only shape and bounds: the rules are for new accounts, not for guessing. */
export const LoginSchema = z.object({
	username: z
		.string({ error: 'Username is required.' })
		.trim()
		.min(1, 'Username is required.')
		.max(USERNAME_MAX, 'Wrong username or password.'),
	password: z
		.string({ error: 'Password is required.' })
		.min(1, 'Password is required.')
		.max(PASSWORD_MAX, 'Wrong username or password.')
});
export type LoginInput = z.infer<typeof LoginSchema>;

export const CreateRoomSchema = z.object({
	name: z
		.string({ error: 'Room name is required.' })
		.trim()
		.min(1, 'Room name is required.')
		.max(ROOM_NAME_MAX, `Room name must be at most ${ROOM_NAME_MAX} characters.`),
	visibility: z.enum(['public', 'private'], { error: 'Visibility must be "public" or "private".' }),
	/** End-to-end encrypted (docs/design.md "Encrypted rooms"); absent: false. */
	encrypted: z.boolean({ error: 'encrypted is true or false.' }).optional()
});
export type CreateRoomInput = z.infer<typeof CreateRoomSchema>;

/** An existing user named by someone else: only shape and bounds, the lookup says the rest. */
const UsernameRefSchema = z
	.string({ error: 'Username is required.' })
	.trim()
	.min(1, 'Username is required.')
	.max(USERNAME_MAX, 'No user has that name.');

export const AddMemberSchema = z.object({ username: UsernameRefSchema });
export type AddMemberInput = z.infer<typeof AddMemberSchema>;

export const OpenDmSchema = z.object({ username: UsernameRefSchema });
export type OpenDmInput = z.infer<typeof OpenDmSchema>;

export const INVITE_HOURS_DEFAULT = 72;
export const INVITE_HOURS_MAX = 720;
export const INVITE_USES_MAX = 1000;

export const CreateInviteSchema = z.object({
	expiresInHours: z
		.number({ error: 'expiresInHours must be a whole number of hours.' })
		.int('expiresInHours must be a whole number of hours.')
		.min(1, 'An invite lasts at least 1 hour.')
		.max(INVITE_HOURS_MAX, `An invite lasts at most ${INVITE_HOURS_MAX} hours.`)
		.default(INVITE_HOURS_DEFAULT),
	maxUses: z
		.number({ error: 'maxUses must be a whole number.' })
		.int('maxUses must be a whole number.')
		.min(1, 'maxUses must be at least 1.')
		.max(INVITE_USES_MAX, `maxUses must be at most ${INVITE_USES_MAX}.`)
		.optional()
});
export type CreateInviteInput = z.infer<typeof CreateInviteSchema>;

/** POST /api/devices: a device's public keys and its proof of holding the signing key. */
export const RegisterDeviceSchema = z.object({
	name: z
		.string({ error: 'A device name is required.' })
		.trim()
		.min(1, 'A device name is required.')
		.max(MAX_DEVICE_NAME_CHARS, `A device name has at most ${MAX_DEVICE_NAME_CHARS} characters.`),
	signingKey: z
		.string({ error: 'signingKey is required.' })
		.regex(PUBLIC_KEY_TEXT, 'signingKey is a 32-byte Ed25519 public key in base64url.'),
	agreementKey: z
		.string({ error: 'agreementKey is required.' })
		.regex(PUBLIC_KEY_TEXT, 'agreementKey is a 32-byte X25519 public key in base64url.'),
	proof: z
		.string({ error: 'proof is required.' })
		.regex(SIGNATURE_TEXT, 'proof is a 64-byte Ed25519 signature in base64url.')
});
export type RegisterDeviceInput = z.infer<typeof RegisterDeviceSchema>;

const DeviceIdSchema = z
	.string({ error: 'A device id is required.' })
	.regex(DEVICE_ID, 'A device id is 24 base32 characters.');

/** POST /api/to-device: sealed key shares from one of the caller's devices to other devices. */
export const SendToDeviceSchema = z.object({
	from: DeviceIdSchema,
	messages: z
		.array(
			z.object({
				to: DeviceIdSchema,
				body: z
					.string({ error: 'body is a sealed share.' })
					.regex(SEALED_SHARE, 'body is a sealed share (k1.<key>.<ciphertext>).'),
				sig: z
					.string({ error: 'sig is required.' })
					.regex(SIGNATURE_TEXT, 'sig is a 64-byte Ed25519 signature in base64url.')
			})
		)
		.min(1, 'Send at least one message.')
		.max(MAX_TO_DEVICE_PER_REQUEST, `At most ${MAX_TO_DEVICE_PER_REQUEST} messages per request.`)
});
export type SendToDeviceInput = z.infer<typeof SendToDeviceSchema>;

/** POST /api/to-device/ack: the messages a device has read. */
export const AckToDeviceSchema = z.object({
	device: DeviceIdSchema,
	ids: z
		.array(z.string().regex(/^[a-z2-7]{24}$/, 'A message id is 24 base32 characters.'))
		.min(1, 'Name at least one message.')
		.max(MAX_TO_DEVICE_PER_REQUEST * 4, 'Too many ids.')
});

export type ParseResult<T> =
	| { readonly ok: true; readonly data: T }
	| { readonly ok: false; readonly message: string; readonly fields: Record<string, string> };

/** A non-negative integer in a URL path segment (an epoch, a segment number). */
export const IndexParamSchema = z
	.string()
	.regex(/^\d{1,9}$/, 'must be a non-negative integer')
	.transform(Number);

/** Parses `input`; on failure gives the first message overall and the first one per field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
	const result = schema.safeParse(input);
	if (result.success) return { ok: true, data: result.data };
	const fields: Record<string, string> = {};
	for (const issue of result.error.issues) {
		const field = issue.path.length > 0 ? String(issue.path[0]) : '_';
		fields[field] ??= issue.message;
	}
	const notObject = input === null || typeof input !== 'object' || Array.isArray(input);
	const message = notObject
		? 'The request body must be a JSON object.'
		: (result.error.issues[0]?.message ?? 'Invalid input.');
	return { ok: false, message, fields };
}
