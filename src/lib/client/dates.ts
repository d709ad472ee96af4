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

/** Never throws, whatever `ts` is. */
export function showTime(ts: unknown): ShownTime {
	if (typeof ts !== 'number') return UNKNOWN;
	const date = new Date(ts);
	if (Number.isNaN(date.getTime())) return UNKNOWN;
	try {
		return {
			iso: date.toISOString(),
			time: date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
			full: date.toLocaleString()
		};
	} catch {
		return UNKNOWN;
	}
}
