import { describe, expect, it } from 'vitest';
import {
	INITIAL_WINDOW,
	MIN_ENTRY_PX,
	MAX_WINDOW,
	WINDOW_PAGE,
	firstScreenOf,
	followsLatest,
	loadNewer,
	loadOlder,
	messageIdFromHash,
	rangeOf,
	screenfulOf,
	shiftWindow,
	showsLatest,
	windowAround,
	type LogWindow
} from '../../src/lib/client/log-window';

describe('the message log window', () => {
	it('opens on the latest messages and slides as new ones arrive', () => {
		expect(rangeOf(null, 50_000)).toEqual({ start: 50_000 - INITIAL_WINDOW, end: 50_000 });
		expect(rangeOf(null, 50_001)).toEqual({ start: 50_001 - INITIAL_WINDOW, end: 50_001 });
		expect(rangeOf(null, 10)).toEqual({ start: 0, end: 10 });
		expect(rangeOf(null, 0)).toEqual({ start: 0, end: 0 });
	});

	it('renders a screenful of the latest messages first, unless the unread divider is further back', () => {
		const whole = rangeOf(null, 1_000);
		const screen = screenfulOf(800);
		expect(screen).toBe(Math.ceil(800 / MIN_ENTRY_PX));
		expect(screen).toBeLessThan(INITIAL_WINDOW);
		expect(screenfulOf(10_000)).toBe(INITIAL_WINDOW);
		expect(screenfulOf(0)).toBe(1);
		expect(firstScreenOf(whole, -1, screen)).toEqual({ start: 1_000 - screen, end: 1_000 });
		// The divider in the first screen: that screen is where the opening scrolls to.
		expect(firstScreenOf(whole, 1_000 - screen, screen)).toEqual({
			start: 1_000 - screen,
			end: 1_000
		});
		// Further back: the whole window at once, or the opening would scroll to nothing.
		expect(firstScreenOf(whole, 1_000 - screen - 1, screen)).toEqual(whole);
		expect(firstScreenOf(rangeOf(null, 10), -1, screen)).toEqual({ start: 0, end: 10 });
	});

	it('loads older messages a page at a time while still following the latest', () => {
		const older = loadOlder(null, 1_000);
		expect(older).toEqual({ start: 1_000 - INITIAL_WINDOW - WINDOW_PAGE, end: null });
		expect(followsLatest(older)).toBe(true);
		// New messages extend a window that follows the latest.
		expect(rangeOf(older, 1_005).end).toBe(1_005);
	});

	it('stops at the first message', () => {
		let window: LogWindow = null;
		for (let i = 0; i < 10; i++) window = loadOlder(window, 100);
		expect(rangeOf(window, 100)).toEqual({ start: 0, end: 100 });
	});

	it('never renders more than MAX_WINDOW messages, dropping the newest when going back', () => {
		let window: LogWindow = null;
		for (let i = 0; i < 20; i++) {
			window = loadOlder(window, 50_000);
			const { start, end } = rangeOf(window, 50_000);
			expect(end - start).toBeLessThanOrEqual(MAX_WINDOW);
		}
		expect(followsLatest(window)).toBe(false);
		const { start, end } = rangeOf(window, 50_000);
		expect(start).toBe(50_000 - INITIAL_WINDOW - 20 * WINDOW_PAGE);
		expect(end).toBe(start + MAX_WINDOW);
	});

	it('comes back to following the latest messages when loading newer reaches the end', () => {
		let window: LogWindow = { start: 100, end: 200 };
		window = loadNewer(window, 1_000);
		expect(rangeOf(window, 1_000)).toEqual({ start: 100, end: 200 + WINDOW_PAGE });
		for (let i = 0; i < 30; i++) window = loadNewer(window, 1_000);
		expect(followsLatest(window)).toBe(true);
		const { start, end } = rangeOf(window, 1_000);
		expect(end).toBe(1_000);
		expect(end - start).toBeLessThanOrEqual(MAX_WINDOW);
	});

	it('bounds a window that follows a room receiving many messages', () => {
		const { start, end } = rangeOf({ start: 0, end: null }, 10_000);
		expect(end).toBe(10_000);
		expect(end - start).toBe(MAX_WINDOW);
	});

	it('puts a linked message inside the window with context around it', () => {
		const window = windowAround(2_000, 50_000);
		const { start, end } = rangeOf(window, 50_000);
		expect(start).toBeLessThan(2_000);
		expect(end).toBeGreaterThan(2_000);
		expect(end - start).toBeLessThanOrEqual(MAX_WINDOW);
		expect(followsLatest(window)).toBe(false);
		// Near the end, the window follows the latest messages.
		expect(followsLatest(windowAround(49_990, 50_000))).toBe(true);
		expect(rangeOf(windowAround(0, 5), 5)).toEqual({ start: 0, end: 5 });
	});

	it('reads the message id of a #message- hash', () => {
		expect(messageIdFromHash('#message-abc-123')).toBe('abc-123');
		expect(messageIdFromHash('#message-a%20b')).toBe('a b');
		expect(messageIdFromHash('#message-')).toBeNull();
		expect(messageIdFromHash('#other')).toBeNull();
		expect(messageIdFromHash('')).toBeNull();
		expect(messageIdFromHash('#message-%E0%A4%A')).toBeNull();
	});

	it('shows the latest message until loading older ones passes the cap, and again after loading newer', () => {
		const length = 50_000;
		expect(showsLatest(null, length)).toBe(true);
		let window: LogWindow = null;
		let loads = 0;
		// Within the cap the window still reaches the end.
		while (rangeOf(loadOlder(window, length), length).end === length) {
			window = loadOlder(window, length);
			loads++;
			expect(showsLatest(window, length)).toBe(true);
		}
		expect(loads).toBeGreaterThan(0);
		window = loadOlder(window, length);
		expect(showsLatest(window, length)).toBe(false);
		window = loadNewer(window, length);
		expect(showsLatest(window, length)).toBe(true);
	});

	it('counts a fixed window that reaches the last message as showing it', () => {
		expect(showsLatest({ start: 10, end: 100 }, 100)).toBe(true);
		expect(showsLatest({ start: 10, end: 99 }, 100)).toBe(false);
		expect(showsLatest(windowAround(5, 10_000), 10_000)).toBe(false);
		expect(showsLatest(windowAround(9_999, 10_000), 10_000)).toBe(true);
	});

	it('moves a fixed window with the messages when older history is put in front', () => {
		expect(shiftWindow(null, 40)).toBeNull();
		expect(shiftWindow({ start: 0, end: null }, 40)).toEqual({ start: 40, end: null });
		expect(shiftWindow({ start: 10, end: 70 }, 40)).toEqual({ start: 50, end: 110 });
		expect(shiftWindow({ start: 10, end: 70 }, 0)).toEqual({ start: 10, end: 70 });
		// The same messages stay rendered: 10..70 before, 50..110 after 40 were prepended.
		const before = rangeOf({ start: 10, end: 70 }, 100);
		const after = rangeOf(shiftWindow({ start: 10, end: 70 }, 40), 140);
		expect(after).toEqual({ start: before.start + 40, end: before.end + 40 });
	});
});
