/**
 * Schemas for everything that arrives in a request body or form, and one way to turn their
 * failures into messages. Validate here, at the boundary; code behind it trusts the types.
 */
import { z } from 'zod';
import { isRoomMentionWord } from '../protocol/mentions';
import { MAX_DEVICE_NAME_CHARS, PUBLIC_KEY_TEXT, SIGNATURE_TEXT } from '../protocol/device-keys';
import { SEARCH_LIMIT_MAX } from './search';
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
	)
	// "@room" and "@here" mention everyone (src/lib/protocol/mentions.ts), never one person.
	.refine((name) => !isRoomMentionWord(name), 'That username is reserved.');

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

export const ROOM_TOPIC_MAX = 250;

// eslint-disable-next-line no-control-regex -- control characters are what we refuse
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

const RoomNameSchema = z
	.string({ error: 'Room name is required.' })
	.trim()
	.min(1, 'Room name is required.')
	.max(ROOM_NAME_MAX, `Room name must be at most ${ROOM_NAME_MAX} characters.`)
	.refine((name) => !CONTROL_CHARS.test(name), 'Room name must not contain control characters.');

export const CreateRoomSchema = z.object({
	name: RoomNameSchema,
	visibility: z.enum(['public', 'private'], { error: 'Visibility must be "public" or "private".' }),
	/** End-to-end encrypted (docs/design.md "Encrypted rooms"); absent: false. */
	encrypted: z.boolean({ error: 'encrypted is true or false.' }).optional()
});
export type CreateRoomInput = z.infer<typeof CreateRoomSchema>;

export const DISPLAY_NAME_MAX = 64;

// Bidirectional and zero-width format characters: a name must not reorder or hide what follows it.
const INVISIBLE_FORMAT = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/** PATCH /api/me and the profile form: a display name, '' for none (the username shows). */
export const ProfileSchema = z
	.object({
		displayName: z
			.string({ error: 'The display name must be text.' })
			.trim()
			.max(DISPLAY_NAME_MAX, `A display name has at most ${DISPLAY_NAME_MAX} characters.`)
			.refine(
				(name) => !CONTROL_CHARS.test(name) && !INVISIBLE_FORMAT.test(name),
				'A display name must not contain control or invisible formatting characters.'
			)
	})
	.strict();
export type ProfileInput = z.infer<typeof ProfileSchema>;

/** PATCH /api/rooms/:id: what the owner changes; at least one field. */
export const RoomSettingsSchema = z
	.object({
		name: RoomNameSchema.optional(),
		topic: z
			.string({ error: 'The topic must be text.' })
			.trim()
			.max(ROOM_TOPIC_MAX, `The topic must be at most ${ROOM_TOPIC_MAX} characters.`)
			.refine(
				(topic) => !CONTROL_CHARS.test(topic),
				'The topic must not contain control characters.'
			)
			.optional(),
		archived: z.boolean({ error: 'archived must be true or false.' }).optional()
	})
	.strict()
	.refine(
		(change) => Object.values(change).some((value) => value !== undefined),
		'Say what to change: name, topic or archived.'
	);
export type RoomSettingsInput = z.infer<typeof RoomSettingsSchema>;

/** An existing user named by someone else: only shape and bounds, the lookup says the rest. */
const UsernameRefSchema = z
	.string({ error: 'Username is required.' })
	.trim()
	.min(1, 'Username is required.')
	.max(USERNAME_MAX, 'No user has that name.');

export const AddMemberSchema = z.object({ username: UsernameRefSchema });
export type AddMemberInput = z.infer<typeof AddMemberSchema>;

/** A group DM holds 3–9 people: the creator and 2–8 others. */
export const GROUP_DM_MIN_OTHERS = 2;
export const GROUP_DM_MAX_OTHERS = 8;
const GROUP_DM_SIZE = `A group message needs ${GROUP_DM_MIN_OTHERS} to ${GROUP_DM_MAX_OTHERS} other people.`;

/**
 * `{ username }` (a DM of two) or `{ usernames: [...] }` (a group DM: 2–8 others, each once),
 * as the list of the other people's names either way.
 */
export const OpenDmSchema = z
	.object({
		username: UsernameRefSchema.optional(),
		usernames: z
			.array(UsernameRefSchema, { error: 'usernames must be a list of usernames.' })
			.min(GROUP_DM_MIN_OTHERS, GROUP_DM_SIZE)
			.max(GROUP_DM_MAX_OTHERS, GROUP_DM_SIZE)
			.refine(
				(names) => new Set(names.map((name) => name.toLowerCase())).size === names.length,
				'Name each person once.'
			)
			.optional()
	})
	.refine(
		(input) => (input.username === undefined) !== (input.usernames === undefined),
		'Give either a username or usernames.'
	)
	.transform((input) => ({
		usernames: input.usernames ?? (input.username === undefined ? [] : [input.username])
	}));
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

/** A time in a query string: milliseconds since the epoch, a whole number. */
const QueryTimeSchema = z
	.string()
	.regex(/^\d{1,15}$/, 'must be a time in milliseconds since 1970 (a whole number).')
	.transform(Number);

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${SEARCH_LIMIT_MAX}.`;

/** GET /api/search's query string (`Object.fromEntries(url.searchParams)`). */
export const SearchQuerySchema = z
	.object({
		q: z.string({ error: 'Type something to search for (q).' }),
		limit: z
			.string()
			.regex(/^\d{1,3}$/, LIMIT_MESSAGE)
			.transform(Number)
			.pipe(z.number().min(1, LIMIT_MESSAGE).max(SEARCH_LIMIT_MAX, LIMIT_MESSAGE))
			.optional(),
		room: z
			.string()
			.regex(/^[a-z0-9]{1,64}$/, 'room must be a room id.')
			.optional(),
		/** A username, or a display name (docs/design.md "Search"). */
		author: z
			.string()
			.trim()
			.min(1, 'author must name someone.')
			.max(DISPLAY_NAME_MAX, 'No one has that name.')
			.optional(),
		from: QueryTimeSchema.optional(),
		to: QueryTimeSchema.optional()
	})
	.refine((value) => value.from === undefined || value.to === undefined || value.from < value.to, {
		path: ['to'],
		error: 'to must be later than from.'
	});
export type SearchQueryInput = z.infer<typeof SearchQuerySchema>;
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

const LevelSchema = z.enum(['all', 'mentions', 'nothing'], {
	error: 'Level must be "all", "mentions" or "nothing".'
});

/** PUT /api/rooms/:id/notifications: the room's level, or null for the account's default. */
export const RoomLevelSchema = z.object({ level: LevelSchema.nullable() }).strict();

/** PUT /api/me/notifications: the account's default level. */
export const DefaultLevelSchema = z.object({ defaultLevel: LevelSchema }).strict();
