/**
 * The room document's schema (docs/design.md, "The room document"): its roots, the value of each
 * root, the key formats and their bounds. The gate admits by it, the client reads a replica by
 * it and the search indexer indexes by it: one parser, so what the gate lets in is exactly what
 * every reader can show.
 *
 * Hand-written rather than zod: the gate runs it on every accepted update (hot path), and a
 * value is small and flat. Each parse returns a result, never throws, whatever the value.
 */

/** The roots of a room document: one array of messages and three maps. */
export const ROOT = {
	messages: 'messages',
	changes: 'changes',
	reactions: 'reactions',
	reads: 'reads'
} as const;
export type RootName = (typeof ROOT)[keyof typeof ROOT];
export const ARRAY_ROOTS: ReadonlySet<string> = new Set([ROOT.messages]);
export const MAP_ROOTS: ReadonlySet<string> = new Set([ROOT.changes, ROOT.reactions, ROOT.reads]);

export const MAX_FILES_PER_MESSAGE = 10;
/** The upload API's bounds on a file name and type (src/lib/server/files.ts). */
export const MAX_FILE_NAME_CHARS = 255;
export const MAX_FILE_TYPE_CHARS = 255;
/** An author (user id) is at most this long. */
export const MAX_USER_ID_CHARS = 255;
/** The emoji part of a reaction key, in UTF-16 code units. */
export const MAX_EMOJI_CHARS = 16;

/**
 * One emoji of the Unicode RGI set (Recommended for General Interchange: single emoji, keycaps,
 * flags, skin tones and ZWJ sequences), nothing before or after it. Built from a string: the
 * `v` flag's properties of strings are newer than the TypeScript target. What the engine's
 * Unicode version lacks is refused, so a reaction is always one glyph every reader can draw.
 * Built on first use: parsing it takes 30–50 ms (V8 expands every RGI sequence), which at
 * module load delayed every page that imports this file (bench room-open).
 */
let rgiEmoji: RegExp | null = null;

/** Whether `text` is exactly one RGI emoji ("👍", "❤️", "👍🏽", "🧑‍💻", "🇫🇷"; not "1", "❤" or "👍👍"). */
export function isEmoji(text: string): boolean {
	if (text.length > MAX_EMOJI_CHARS) return false;
	rgiEmoji ??= new RegExp('^\\p{RGI_Emoji}$', 'v');
	return rgiEmoji.test(text);
}

/** Message ids, `replyTo`, `changes` keys and a read mark's `upTo`. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An upload's id (src/lib/server/id.ts generateId: 15 random bytes, 24 lower-case base32). */
export const FILE_ID = /^[a-z2-7]{24}$/;
/** A MIME type as the upload normalises it: `type/subtype`, lower case, no parameters. */
export const FILE_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/**
 * Image types the server serves inline (after checking their magic bytes) and makes thumbnails
 * of; the room shows them as images, everything else as a download.
 */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

export type InlineImageType = (typeof INLINE_IMAGE_TYPES)[number];

export function isInlineImage(type: string): boolean {
	return (INLINE_IMAGE_TYPES as readonly string[]).includes(type);
}

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
	return bytes.every((byte, index) => head[offset + index] === byte);
}

/**
 * The image type the magic bytes show, or null for anything else: the upload API checks an
 * image's bytes by it, and a reader checks a decrypted attachment's (file-crypto.ts).
 */
export function sniffImageType(head: Uint8Array): InlineImageType | null {
	if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
	if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
	if (startsWith(head, [0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39)) {
		return head[5] === 0x61 ? 'image/gif' : null;
	}
	if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) {
		return 'image/webp';
	}
	return null;
}

/** The earliest ts the gate admits: 2020-01-01T00:00:00Z. */
export const EARLIEST_TS_MS = Date.UTC(2020, 0, 1);
/** How far past the server's clock a ts may be (a client's clock runs ahead). */
export const FUTURE_TS_SLACK_MS = 24 * 60 * 60 * 1000;
/** The largest magnitude a Date holds: every integer ts within it can be formatted. */
const MAX_DATE_MS = 8.64e15;

/** Inclusive bounds on every `ts` of the document, in ms since the epoch. */
export interface TsWindow {
	readonly earliestMs: number;
	readonly latestMs: number;
}

/** What the gate admits at server time `nowMs`. */
export function admissionWindow(nowMs: number): TsWindow {
	return { earliestMs: EARLIEST_TS_MS, latestMs: nowMs + FUTURE_TS_SLACK_MS };
}

/**
 * What a reader shows: any ts a Date can hold. A replica may hold values from before the
 * window existed, and a reader's clock is not the server's.
 */
export const SHOWABLE_WINDOW: TsWindow = { earliestMs: -MAX_DATE_MS, latestMs: MAX_DATE_MS };

export interface SchemaLimits {
	readonly window: TsWindow;
	/** MAX_MESSAGE_CHARS for the gate; readers show any length. */
	readonly maxMessageChars: number;
	/** MAX_UPLOAD_BYTES for the gate. */
	readonly maxUploadBytes: number;
}

/** The bounds a reader parses a replica with. */
export const READER_LIMITS: SchemaLimits = {
	window: SHOWABLE_WINDOW,
	maxMessageChars: Number.POSITIVE_INFINITY,
	maxUploadBytes: Number.MAX_SAFE_INTEGER
};

/** A device id (src/lib/server/id.ts's format: 24 lower-case base32 characters). */
export const DEVICE_ID = /^[a-z2-7]{24}$/;
/** An Ed25519 signature: 64 bytes as unpadded base64url. */
export const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;

/**
 * An encrypted room's message or edit holds its content in `enc` (docs/design.md, "Encrypted
 * rooms"): `m1.<session id>.<index>.<nonce + ciphertext>`, all unpadded base64url, at most
 * MAX_ENCRYPTED_CHARS (the ciphertext bound the gate enforces). src/lib/protocol/sender-keys.ts
 * makes and opens it.
 */
export const ENCRYPTED_TEXT = /^m1\.[A-Za-z0-9_-]{22}\.(0|[1-9][0-9]{0,8})\.[A-Za-z0-9_-]{54,}$/;
/** The payload bound (16 KiB of UTF-8 JSON) as base64url plus the header, rounded up. */
export const MAX_ENCRYPTED_CHARS = 22_000;

/** True when `value` is an encrypted item's text within the bound. */
export function isEncryptedText(value: unknown): value is string {
	return (
		typeof value === 'string' && value.length <= MAX_ENCRYPTED_CHARS && ENCRYPTED_TEXT.test(value)
	);
}

/**
 * Who signed an item: the author's device and its signature of the item's canonical bytes
 * (src/lib/protocol/signatures.ts). Absent on items written before signatures (unsigned).
 */
export interface ItemSignature {
	readonly device: string;
	readonly sig: string;
}

export type Parsed<T> =
	{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface FileRef {
	readonly id: string;
	readonly name: string;
	readonly type: string;
	readonly size: number;
}

export interface ChatMessage {
	readonly id: string;
	readonly author: string;
	readonly text: string;
	readonly ts: number;
	readonly replyTo?: string;
	readonly files?: readonly FileRef[];
	/** Encrypted rooms: the content, encrypted (`text` is then ''). */
	readonly enc?: string;
	readonly signature?: ItemSignature;
}

/** A value of the `changes` map: the latest edit or the delete of one message. */
export interface MessageChange {
	readonly text?: string;
	readonly deleted?: true;
	readonly ts: number;
	/** Encrypted rooms: the edited content, encrypted (no `text` then). */
	readonly enc?: string;
	readonly signature?: ItemSignature;
}

/** A value of the `reads` map (key: the reader's user id). */
export interface ReadMark {
	readonly upTo: string;
	readonly ts: number;
	readonly signature?: ItemSignature;
}

/** A `reactions` value: its ts, and its signature when it has one. */
export interface Reaction {
	readonly ts: number;
	readonly signature?: ItemSignature;
}

export interface ReactionKey {
	readonly messageId: string;
	readonly emoji: string;
	readonly userId: string;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): { readonly ok: false; readonly reason: string } => ({
	ok: false,
	reason
});

/**
 * A plain JSON object (as lib0's readAny builds it) with only `allowed` keys, or null. A
 * "__proto__" key in the encoded object swaps the prototype: not a plain object then.
 */
export function plainRecord(
	value: unknown,
	allowed: ReadonlySet<string>
): Record<string, unknown> | null {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
	if (Object.getPrototypeOf(value) !== Object.prototype) return null;
	const record = value as Record<string, unknown>;
	for (const key of Object.keys(record)) if (!allowed.has(key)) return null;
	return record;
}

export function isUuid(value: unknown): value is string {
	return typeof value === 'string' && UUID.test(value);
}

export function isFileId(value: unknown): value is string {
	return typeof value === 'string' && FILE_ID.test(value);
}

/** An integer ts inside `window`. */
export function isTs(value: unknown, window: TsWindow): value is number {
	return (
		typeof value === 'number' &&
		Number.isInteger(value) &&
		value >= window.earliestMs &&
		value <= window.latestMs
	);
}

const MESSAGE_KEYS = new Set([
	'id',
	'author',
	'text',
	'ts',
	'replyTo',
	'files',
	'enc',
	'device',
	'sig'
]);
const FILE_KEYS = new Set(['id', 'name', 'type', 'size']);
const CHANGE_KEYS = new Set(['text', 'deleted', 'ts', 'enc', 'device', 'sig']);
const READ_KEYS = new Set(['upTo', 'ts', 'device', 'sig']);
const REACTION_KEYS = new Set(['ts', 'device', 'sig']);

/**
 * The `device` and `sig` of a value: both absent (unsigned, undefined), both well formed, or a
 * failure. Whether the signature verifies is the gate's and each reader's question.
 */
function parseSignature(record: Record<string, unknown>): Parsed<ItemSignature | undefined> {
	const { device, sig } = record;
	if (device === undefined && sig === undefined) return ok(undefined);
	if (typeof device !== 'string' || !DEVICE_ID.test(device)) {
		return fail('a signed item names its device (a device id)');
	}
	if (typeof sig !== 'string' || !SIGNATURE.test(sig)) {
		return fail('a signature is 64 bytes of base64url');
	}
	return ok({ device, sig });
}

const ENC_SHAPE = `enc is m1.<session>.<index>.<ciphertext>, at most ${MAX_ENCRYPTED_CHARS} characters`;

const FILE_SHAPE = 'a file is { id, name, type, size }';

export function parseFile(value: unknown, limits: SchemaLimits): Parsed<FileRef> {
	const file = plainRecord(value, FILE_KEYS);
	if (file === null) return fail(FILE_SHAPE);
	const { id, name, type, size } = file;
	if (!isFileId(id)) return fail('a file id is an upload id (24 base32 characters)');
	if (typeof name !== 'string' || name.length < 1 || name.length > MAX_FILE_NAME_CHARS) {
		return fail(`a file name has 1 to ${MAX_FILE_NAME_CHARS} characters`);
	}
	if (typeof type !== 'string' || type.length > MAX_FILE_TYPE_CHARS || !FILE_TYPE.test(type)) {
		return fail('a file type is a lower-case type/subtype');
	}
	if (
		!Number.isSafeInteger(size) ||
		(size as number) < 1 ||
		(size as number) > limits.maxUploadBytes
	) {
		return fail(`a file size is 1 to ${limits.maxUploadBytes} bytes`);
	}
	return ok({ id, name, type, size: size as number });
}

/** A `messages` value; the reasons are the gate's rule 2 texts. */
export function parseMessage(value: unknown, limits: SchemaLimits): Parsed<ChatMessage> {
	const record = plainRecord(value, MESSAGE_KEYS);
	if (record === null) return fail('a message is { id, author, text, ts, replyTo?, files? }');
	const { id, author, text, ts, replyTo, files } = record;
	if (!isUuid(id)) return fail('a message id is a UUID');
	if (typeof author !== 'string' || author.length < 1 || author.length > MAX_USER_ID_CHARS) {
		return fail('a message author is a user id');
	}
	if (typeof text !== 'string') return fail('message text is a string');
	if (text.length > limits.maxMessageChars) {
		return fail(`message text longer than ${limits.maxMessageChars} characters`);
	}
	if (!isTs(ts, limits.window)) return fail('message ts is an integer time in the allowed window');
	const signature = parseSignature(record);
	if (!signature.ok) return signature;
	const message: { -readonly [K in keyof ChatMessage]: ChatMessage[K] } = { id, author, text, ts };
	if (replyTo !== undefined) {
		if (!isUuid(replyTo)) return fail('replyTo is a message id');
		message.replyTo = replyTo;
	}
	if (files !== undefined) {
		if (!Array.isArray(files) || files.length > MAX_FILES_PER_MESSAGE) {
			return fail(`files is a list of at most ${MAX_FILES_PER_MESSAGE}`);
		}
		const refs: FileRef[] = [];
		for (const value of files as unknown[]) {
			const file = parseFile(value, limits);
			if (!file.ok) return file;
			refs.push(file.value);
		}
		message.files = refs;
	}
	if (record.enc !== undefined) {
		if (!isEncryptedText(record.enc)) return fail(ENC_SHAPE);
		if (text !== '') return fail('an encrypted message’s text is empty');
		message.enc = record.enc;
	}
	if (signature.value) message.signature = signature.value;
	return ok(message);
}

/** A `changes` value; the reasons are the gate's rule 4 texts. */
export function parseChange(value: unknown, limits: SchemaLimits): Parsed<MessageChange> {
	const record = plainRecord(value, CHANGE_KEYS);
	if (record === null) return fail('a change is { text?, deleted?, ts, device?, sig? }');
	const { text, deleted, ts } = record;
	if (!isTs(ts, limits.window)) return fail('a change has an integer ts in the allowed window');
	if (deleted !== undefined && deleted !== true)
		return fail('a change’s deleted is true or absent');
	const change: { -readonly [K in keyof MessageChange]: MessageChange[K] } = { ts };
	if (text !== undefined) {
		if (typeof text !== 'string') return fail('an edited text is a string');
		if (text.length > limits.maxMessageChars) {
			return fail(`message text longer than ${limits.maxMessageChars} characters`);
		}
		change.text = text;
	}
	if (deleted === true) change.deleted = true;
	if (record.enc !== undefined) {
		if (!isEncryptedText(record.enc)) return fail(ENC_SHAPE);
		if (text !== undefined || deleted !== undefined) {
			return fail('an encrypted edit has no text and is no delete');
		}
		change.enc = record.enc;
	}
	const signature = parseSignature(record);
	if (!signature.ok) return signature;
	if (signature.value) change.signature = signature.value;
	return ok(change);
}

const REACTION_SHAPE =
	'a reaction’s value is its ts (an integer in the allowed window) or { ts, device, sig }';

/** A `reactions` value: its ts (unsigned, as before signatures) or `{ ts, device, sig }`. */
export function parseReaction(value: unknown, limits: SchemaLimits): Parsed<Reaction> {
	if (isTs(value, limits.window)) return ok({ ts: value });
	const record = plainRecord(value, REACTION_KEYS);
	if (record === null || !isTs(record.ts, limits.window)) return fail(REACTION_SHAPE);
	const signature = parseSignature(record);
	if (!signature.ok) return signature;
	if (!signature.value) return fail(REACTION_SHAPE);
	return ok({ ts: record.ts, signature: signature.value });
}

/** A `reactions` value: the time of the reaction. */
export function parseReactionTs(value: unknown, limits: SchemaLimits): Parsed<number> {
	const parsed = parseReaction(value, limits);
	return parsed.ok ? ok(parsed.value.ts) : parsed;
}

/** A `reads` value. */
export function parseReadMark(value: unknown, limits: SchemaLimits): Parsed<ReadMark> {
	const record = plainRecord(value, READ_KEYS);
	if (record === null) return fail('a read receipt is { upTo, ts, device?, sig? }');
	const { upTo, ts } = record;
	if (!isUuid(upTo)) return fail('a read receipt’s upTo is a message id');
	if (!isTs(ts, limits.window))
		return fail('a read receipt has an integer ts in the allowed window');
	const signature = parseSignature(record);
	if (!signature.ok) return signature;
	return ok(signature.value ? { upTo, ts, signature: signature.value } : { upTo, ts });
}

/** The `reactions` key of one person's emoji on one message. */
export function reactionKey(messageId: string, emoji: string, userId: string): string {
	return `${messageId}|${emoji}|${userId}`;
}

/** Splits a key at its first and last `|` (ids never hold one). */
export function parseReactionKey(key: string): Parsed<ReactionKey> {
	const first = key.indexOf('|');
	const last = key.lastIndexOf('|');
	if (first === last || !isUuid(key.slice(0, first))) {
		return fail('a reaction key is messageId|emoji|userId');
	}
	const emoji = key.slice(first + 1, last);
	if (emoji.length < 1 || emoji.length > MAX_EMOJI_CHARS) {
		return fail(`a reaction emoji has 1 to ${MAX_EMOJI_CHARS} characters`);
	}
	if (!isEmoji(emoji)) return fail('a reaction is one emoji');
	const userId = key.slice(last + 1);
	if (userId.length < 1 || userId.length > MAX_USER_ID_CHARS) {
		return fail('a reaction key ends with a user id');
	}
	return ok({ messageId: key.slice(0, first), emoji, userId });
}
