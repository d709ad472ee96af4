/**
 * The summary channel (docs/design.md "Summary channel"): one WebSocket per tab,
 * `GET /sync/_summaries`, that brings a summary of every room the user is a member of NOW and
 * keeps it live. JSON text frames, server -> client only (the client sends nothing). The server
 * writes them with `encodeSummaryFrame`; the browser reads them with `parseSummaryFrame` (its
 * trust boundary), so the wire format is written once.
 */
import { z } from 'zod';
import { plainText } from '../formatting';

/** The upgrade path of the summary channel (under /sync/, so proxies treat it like rooms). */
export const SUMMARY_PATH = '/sync/_summaries';

/** A message preview holds at most this many characters (the rest is cut). */
export const PREVIEW_CHARS = 140;

const LastMessage = z.object({
	id: z.string().max(64),
	author: z.string().max(255),
	/** The author's username, or null when unknown (a deleted account). */
	authorName: z.string().max(255).nullable(),
	/** The current text cut to PREVIEW_CHARS ('' for a deleted message). */
	text: z.string().max(PREVIEW_CHARS),
	ts: z.number().int(),
	deleted: z.boolean()
});

const RoomSummarySchema = z.object({
	id: z.string().regex(/^[a-z0-9]{1,64}$/),
	name: z.string().max(255),
	kind: z.enum(['room', 'dm']),
	/** Shown under the room's name ('' for none; absent from older servers and caches). */
	topic: z.string().max(255).default(''),
	/** The owner archived it: read-only, listed apart. */
	archived: z.boolean().default(false),
	/** The room log's head seq: it only grows; a client keeps the summary with the larger one. */
	lastSeq: z.number().int().nonnegative(),
	last: LastMessage.nullable(),
	/** Others' messages after the user's own read mark (all of them without a mark). */
	unread: z.number().int().nonnegative(),
	/** Of those, the ones that mention the user. */
	mentions: z.number().int().nonnegative()
});

export type RoomSummary = z.infer<typeof RoomSummarySchema>;
export type LastMessage = z.infer<typeof LastMessage>;

const SummaryFrameSchema = z.discriminatedUnion('type', [
	/** On connect and after a membership change: every room of the user, replacing the list. */
	z.object({ type: z.literal('snapshot'), rooms: z.array(RoomSummarySchema).max(10_000) }),
	/** One room changed (a message, a read mark): replaces that room's summary. */
	z.object({ type: z.literal('room'), room: RoomSummarySchema }),
	/** The user is no longer a member: forget the room. */
	z.object({ type: z.literal('removed'), roomId: z.string().max(64) })
]);

export type SummaryFrame = z.infer<typeof SummaryFrameSchema>;

export function encodeSummaryFrame(frame: SummaryFrame): string {
	return JSON.stringify(frame);
}

/** A frame from the server, or null when it is not one (logged and ignored by the client). */
export function parseSummaryFrame(text: string): SummaryFrame | null {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return null;
	}
	const parsed = SummaryFrameSchema.safeParse(value);
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
