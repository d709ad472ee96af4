/**
 * The one way a ts from a replica or the server becomes text. A ts is other people's data: a
 * value no Date can hold (1e300, NaN, a string) must not throw (toISOString throws "Invalid time
 * value") and blank the page; it is shown as unknown instead.
 */

export interface ShownTime {
	/** For `<time datetime>`; null when the ts is not a time. */
	readonly iso: string | null;
	/** Hours and minutes, e.g. "14:05". */
	readonly time: string;
	/** Date and time in the reader's locale. */
	readonly full: string;
}

const UNKNOWN: ShownTime = Object.freeze({ iso: null, time: '--:--', full: 'unknown time' });

/**
 * The formats `toLocaleTimeString([], { hour, minute })` and `toLocaleString()` use, made once:
 * each of those calls builds a new Intl.DateTimeFormat, ~0.5 ms apiece, and a room renders a
 * time for every message it shows (a sixth of the CPU of opening a room, bench room-open).
 */
let formats: { readonly time: Intl.DateTimeFormat; readonly full: Intl.DateTimeFormat } | null =
	null;

function timeFormats(): NonNullable<typeof formats> {
	formats ??= {
		time: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
		full: new Intl.DateTimeFormat(undefined, {
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric'
		})
	};
	return formats;
}

/** Never throws, whatever `ts` is. */
export function showTime(ts: unknown): ShownTime {
	if (typeof ts !== 'number') return UNKNOWN;
	const date = new Date(ts);
	if (Number.isNaN(date.getTime())) return UNKNOWN;
	try {
		const { time, full } = timeFormats();
		return { iso: date.toISOString(), time: time.format(date), full: full.format(date) };
	} catch {
		return UNKNOWN;
	}
}
