/**
 * Which slice of a room's messages the log renders. A long room keeps tens of thousands of
 * messages in its replica; the page renders a bounded window of them so that opening it and
 * scrolling cost the same as for a short room. Pure: indices in, indices out.
 */

/** Messages rendered when a room opens at its latest message. */
export const INITIAL_WINDOW = 60;
/** Messages added by one "Load older messages" / "Load newer messages". */
export const WINDOW_PAGE = 60;
/** The most messages ever rendered at once; past it the far end of the window is dropped. */
export const MAX_WINDOW = 300;
/**
 * The least height a rendered message takes with the gap after it, in px, kept below the
 * smallest measured (a one-line message in a run by one author: 59 + 8 px at 1280 and 390 px
 * wide; long-room.spec.ts checks that a first screenful fills the screen).
 */
export const MIN_ENTRY_PX = 48;

/**
 * Messages rendered in the first frame of an opening at the latest message: as many as fill a
 * viewport `height` px tall at MIN_ENTRY_PX each (17 at 800 px). The rest of the window follows
 * once that frame is painted, so the latest messages show without waiting for 60.
 */
export function screenfulOf(height: number): number {
	return Math.min(INITIAL_WINDOW, Math.max(1, Math.ceil(height / MIN_ENTRY_PX)));
}

/**
 * `null`: the latest INITIAL_WINDOW messages, sliding as new ones arrive.
 * `end: null`: from `start` to the latest message, growing as new ones arrive.
 * Otherwise a fixed range [start, end) away from the latest messages.
 */
export type LogWindow = { readonly start: number; readonly end: number | null } | null;

export interface Range {
	readonly start: number;
	readonly end: number;
}

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, value));
}

/** The indices [start, end) a window covers in a log of `length` messages. */
export function rangeOf(window: LogWindow, length: number): Range {
	if (window === null) return { start: Math.max(0, length - INITIAL_WINDOW), end: length };
	const end = window.end === null ? length : clamp(window.end, 0, length);
	let start = clamp(window.start, 0, end);
	// A window that follows the latest messages keeps growing; drop its oldest past the bound.
	if (window.end === null && end - start > MAX_WINDOW + WINDOW_PAGE) start = end - MAX_WINDOW;
	return { start, end };
}

/**
 * What an opening renders in its first frame: the latest `screen` messages of `range` (see
 * `screenfulOf`), or all of it when the "New messages" divider (`dividerIndex`, -1 for none) is
 * further back, as the opening scrolls to it.
 */
export function firstScreenOf(range: Range, dividerIndex: number, screen: number): Range {
	const start = Math.max(range.start, range.end - screen);
	if (dividerIndex >= 0 && dividerIndex < start) return range;
	return { start, end: range.end };
}

/** True when the window shows the latest message and follows new ones. */
export function followsLatest(window: LogWindow): boolean {
	return window === null || window.end === null;
}

/**
 * True when the latest message is in the rendered window: a window that follows the latest
 * messages, or a fixed one that reaches the end. Only then can the reader have seen it.
 */
export function showsLatest(window: LogWindow, length: number): boolean {
	return followsLatest(window) || rangeOf(window, length).end >= length;
}

/** One page further back; the newest messages go once the window would pass MAX_WINDOW. */
export function loadOlder(window: LogWindow, length: number): LogWindow {
	const { start, end } = rangeOf(window, length);
	const nextStart = Math.max(0, start - WINDOW_PAGE);
	if (end - nextStart > MAX_WINDOW) return { start: nextStart, end: nextStart + MAX_WINDOW };
	return { start: nextStart, end: followsLatest(window) ? null : end };
}

/** One page further forward; reaching the latest message makes the window follow again. */
export function loadNewer(window: LogWindow, length: number): LogWindow {
	const { start, end } = rangeOf(window, length);
	const nextEnd = Math.min(length, end + WINDOW_PAGE);
	const nextStart = Math.max(start, nextEnd - MAX_WINDOW);
	return { start: nextStart, end: nextEnd >= length ? null : nextEnd };
}

/**
 * The same messages after `count` were put in front of the log (older history loaded): a fixed
 * window moves down with them; the latest-messages window is relative to the end and stays.
 */
export function shiftWindow(window: LogWindow, count: number): LogWindow {
	if (window === null || count <= 0) return window;
	return { start: window.start + count, end: window.end === null ? null : window.end + count };
}

/** A window with the message at `index` in it, a page of context on each side where there is. */
export function windowAround(index: number, length: number): LogWindow {
	const at = clamp(index, 0, Math.max(0, length - 1));
	const start = Math.max(0, at - WINDOW_PAGE / 2);
	const end = Math.min(length, Math.max(at + WINDOW_PAGE / 2 + 1, start + INITIAL_WINDOW));
	return { start, end: end >= length ? null : end };
}

/** The message id a `#message-<id>` location hash points at, or null. */
export function messageIdFromHash(hash: string): string | null {
	const match = /^#message-(.+)$/.exec(hash);
	if (!match?.[1]) return null;
	try {
		return decodeURIComponent(match[1]);
	} catch {
		return null;
	}
}
