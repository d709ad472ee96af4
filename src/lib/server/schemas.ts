/**
 * Schemas for everything that arrives in a request body or form, and one way to turn their
 * failures into messages. Validate here, at the boundary; code behind it trusts the types.
 */
import { z } from 'zod';

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
	visibility: z.enum(['public', 'private'], { error: 'Visibility must be "public" or "private".' })
});
export type CreateRoomInput = z.infer<typeof CreateRoomSchema>;

export const AddMemberSchema = z.object({
	username: z
		.string({ error: 'Username is required.' })
		.trim()
		.min(1, 'Username is required.')
		.max(USERNAME_MAX, 'No user has that name.')
});
export type AddMemberInput = z.infer<typeof AddMemberSchema>;

export type ParseResult<T> =
	| { readonly ok: true; readonly data: T }
	| { readonly ok: false; readonly message: string; readonly fields: Record<string, string> };

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
