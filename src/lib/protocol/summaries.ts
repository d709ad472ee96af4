/**
 * The summary channel (docs/design.md "Summary channel"): one WebSocket per tab,
 * `GET /sync/_summaries`, that brings a summary of every room the user is a member of NOW and
 * keeps it live. JSON text frames; the client sends only delivery acknowledgements, `watch` and
 * `open`. The server
 * writes them with `encodeSummaryFrame`; the browser reads them with `parseSummaryFrame` (its
 * trust boundary), so the wire format is written once.
 */
// zod/mini, as the rest of the browser's code: the classic build would ship a second zod.
import * as z from 'zod/mini';
import { plainText } from '../formatting';

/** The upgrade path of the summary channel (under /sync/, so proxies treat it like rooms). */
export const SUMMARY_PATH = '/sync/_summaries';

/** A message preview holds at most this many characters (the rest is cut). */
export const PREVIEW_CHARS = 140;

/** A string of at most `max` UTF-16 units. */
const bounded = (max: number) => z.string().check(z.maxLength(max));
/** A count or a sequence number. */
const count = () => z.int().check(z.nonnegative());

/** A `deliveries` frame names at most this many marks (a bigger batch is sent as several). */
export const MAX_DELIVERY_MARKS = 1_000;

/** Another member's delivery mark in a room: their devices have it up to message `upTo`. */
const DeliveryMarkSchema = z.object({
	userId: bounded(255),
	upTo: bounded(64),
	ts: z.int()
});
export type DeliveryMark = z.infer<typeof DeliveryMarkSchema>;

/**
 * A notification level (docs/design.md "Notification levels"): what a room counts and notifies.
 * "all": every message; "mentions": only messages that mention the user; "nothing": nothing.
 */
export const NOTIFICATION_LEVELS = ['all', 'mentions', 'nothing'] as const;
export const NotificationLevelSchema = z.enum(NOTIFICATION_LEVELS);
export type NotificationLevel = z.infer<typeof NotificationLevelSchema>;
/** The default of an account that never chose one. */
export const DEFAULT_NOTIFICATION_LEVEL: NotificationLevel = 'all';

const LastMessage = z.object({
	id: bounded(64),
	author: bounded(255),
	/** The author's display name, or their username without one; null when unknown (a deleted account). */
	authorName: z.nullable(bounded(255)),
	/** The current text cut to PREVIEW_CHARS ('' for a deleted message). */
	text: bounded(PREVIEW_CHARS),
	ts: z.int(),
	deleted: z.boolean()
});

/** One of a DM's other people, as the viewer's DM is titled after them. */
const DmPersonSchema = z.object({
	id: bounded(255),
	username: bounded(255),
	/** '' when they chose none (the username is shown). */
	displayName: z._default(bounded(255), '')
});

const RoomSummarySchema = z.object({
	id: z.string().check(z.regex(/^[a-z0-9]{1,64}$/)),
	name: bounded(255),
	kind: z.enum(['room', 'dm']),
	/** Shown under the room's name ('' for none; absent from older servers and caches). */
	topic: z._default(bounded(255), ''),
	/** The owner archived it: read-only, listed apart. */
	archived: z._default(z.boolean(), false),
	/**
	 * End-to-end encrypted: the server knows no text, so `last.text` is '' and the browser shows
	 * what it decrypted itself, or "Encrypted message" (absent from older servers and caches).
	 */
	encrypted: z._default(z.boolean(), false),
	/**
	 * A DM's other people (the viewer left out), by username: its title shows their display
	 * names. [] for a room, and absent from older servers and caches (the client then takes the
	 * usernames from the DM's stored name).
	 */
	others: z._default(z.array(DmPersonSchema).check(z.maxLength(16)), []),
	/** The room log's head seq: it only grows; a client keeps the summary with the larger one. */
	lastSeq: count(),
	last: z.nullable(LastMessage),
	/** Others' messages after the user's own read mark (all of them without a mark). */
	unread: count(),
	/** Of those, the ones that mention the user. */
	mentions: count(),
	/** The user's level for this room; null: their default (the snapshot's `defaultLevel`). */
	level: z._default(z.nullable(NotificationLevelSchema), null)
});

export type RoomSummary = z.infer<typeof RoomSummarySchema>;
export type LastMessage = z.infer<typeof LastMessage>;
export type DmPerson = z.infer<typeof DmPersonSchema>;

/** At most this many people in one presence frame (a room's members are sent in slices). */
export const MAX_PRESENCE_USERS = 1_000;

const SummaryFrameSchema = z.discriminatedUnion('type', [
	/** On connect and after a membership change: every room of the user, replacing the list. */
	z.object({
		type: z.literal('snapshot'),
		rooms: z.array(RoomSummarySchema).check(z.maxLength(10_000)),
		/** The user's default notification level (rooms whose `level` is null follow it). */
		defaultLevel: z._default(NotificationLevelSchema, DEFAULT_NOTIFICATION_LEVEL)
	}),
	/** One room changed (a message, a read mark): replaces that room's summary. */
	z.object({ type: z.literal('room'), room: RoomSummarySchema }),
	/** The user is no longer a member: forget the room. */
	z.object({ type: z.literal('removed'), roomId: bounded(64) }),
	/**
	 * Other members' devices have received the room up to each mark's `upTo` (sent to the user
	 * sockets of the authors concerned): their delivery marks, as the receipts API lists them,
	 * one frame per room and batch (at most MAX_DELIVERY_MARKS).
	 */
	z.object({
		type: z.literal('deliveries'),
		roomId: bounded(64),
		marks: z.array(DeliveryMarkSchema).check(z.minLength(1), z.maxLength(MAX_DELIVERY_MARKS))
	}),
	/**
	 * One member's delivery mark: what servers before the `deliveries` frame sent, one frame per
	 * mark. Still understood (a tab may meet such a server during a rolling update); no longer sent.
	 */
	z.object({
		type: z.literal('delivery'),
		roomId: bounded(64),
		...DeliveryMarkSchema.shape
	}),
	/**
	 * To-device messages (key shares) reached a device of the user, maybe this one: an open
	 * encrypted room reads its inbox now.
	 */
	z.object({ type: z.literal('inbox') }),
	/**
	 * This person (the user or someone who shares a room with them) changed their display name
	 * or picture: an open room fetches its members' names again.
	 */
	z.object({ type: z.literal('profile'), userId: bounded(255) }),
	/**
	 * Whether these people are online (a tab of theirs holds a user socket, on any instance):
	 * on connect for the people of the user's DMs, on `watch` for a room's members, then on
	 * every change. Only people who share a room with the user are ever named.
	 */
	z.object({
		type: z.literal('presence'),
		users: z
			.array(z.object({ id: bounded(255), online: z.boolean() }))
			.check(z.maxLength(MAX_PRESENCE_USERS))
	})
]);

export type SummaryFrame = z.infer<typeof SummaryFrameSchema>;

/** At most this many rooms in one acknowledgement (a snapshot may name every room). */
export const MAX_ACKED_ROOMS = 10_000;

/**
 * A client's delivery acknowledgement (docs/design.md "Delivered and read"): this device has
 * received each room up to the last message its summary named. The server takes it only for the
 * rooms it listed to this socket, only for their last message, and only for the socket's own
 * user.
 */
const DeliveredAckSchema = z.object({
	type: z.literal('delivered'),
	rooms: z
		.array(z.object({ roomId: bounded(64), upTo: bounded(64) }))
		.check(z.minLength(1), z.maxLength(MAX_ACKED_ROOMS))
});

export type DeliveredAck = z.infer<typeof DeliveredAckSchema>;

/**
 * What a client sends: delivery acknowledgements; which room's members it shows (`watch`, the
 * open room or its member list; null: none), whose presence it is then told; and which room it
 * has open (`open`; null: none), whose messages its room socket brings: the server then sends
 * that room no per-message `room` frames, and the tab acknowledges its messages from the room
 * itself (docs/design.md "The open room").
 */
const ClientFrameSchema = z.discriminatedUnion('type', [
	DeliveredAckSchema,
	z.object({ type: z.literal('watch'), roomId: z.nullable(bounded(64)) }),
	z.object({ type: z.literal('open'), roomId: z.nullable(bounded(64)) })
]);

export type SummaryClientFrame = z.infer<typeof ClientFrameSchema>;

export function encodeClientFrame(frame: SummaryClientFrame): string {
	return JSON.stringify(frame);
}

/** A frame from a client, or null when the text is not one. */
export function parseClientFrame(text: string): SummaryClientFrame | null {
	return parseJsonWith(ClientFrameSchema, text);
}

export function encodeSummaryFrame(frame: SummaryFrame): string {
	return JSON.stringify(frame);
}

/** A frame from the server, or null when it is not one (logged and ignored by the client). */
export function parseSummaryFrame(text: string): SummaryFrame | null {
	return parseJsonWith(SummaryFrameSchema, text);
}

const RoomReceiptsSchema = z.object({
	members: z
		.array(
			z.object({
				id: bounded(255),
				username: bounded(255),
				delivered: z.nullable(z.object({ upTo: bounded(64), ts: z.int() }))
			})
		)
		.check(z.maxLength(100_000))
});

/** `GET /api/rooms/<id>/receipts`: the members and how far their devices have the room. */
export type RoomReceipts = z.infer<typeof RoomReceiptsSchema>;

/** The receipts API's answer, or null when it is not one. */
export function parseRoomReceipts(value: unknown): RoomReceipts | null {
	const parsed = RoomReceiptsSchema.safeParse(value);
	return parsed.success ? parsed.data : null;
}

function parseJsonWith<T>(schema: z.ZodMiniType<T>, text: string): T | null {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return null;
	}
	const parsed = schema.safeParse(value);
	return parsed.success ? parsed.data : null;
}

/**
 * A message's preview: its plain text (the markup people type is not shown: `**hi**` reads
 * "hi", as in search results and notifications) on one line, cut to at most PREVIEW_CHARS
 * UTF-16 units, never halving a pair.
 */
export function previewOf(text: string): string {
	const line = plainText(text).replace(/\s+/g, ' ').trim();
	if (line.length <= PREVIEW_CHARS) return line;
	let cut = line.slice(0, PREVIEW_CHARS - 1);
	if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
	return `${cut}…`;
}
