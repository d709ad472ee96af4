/**
 * The room document's schema module (src/lib/protocol/schema.ts): the reaction key is built and
 * split in one place, the ts window has inclusive edges, and the gate's and the readers' bounds
 * differ only where they must (time window, text length).
 */
import { describe, expect, it } from 'vitest';
import {
	EARLIEST_TS_MS,
	FUTURE_TS_SLACK_MS,
	READER_LIMITS,
	admissionWindow,
	isTs,
	parseMessage,
	parseReactionKey,
	reactionKey
} from '../../src/lib/protocol/schema';

const NOW = Date.UTC(2026, 5, 1);
const ID = '00000000-0000-4000-8000-000000000001';

describe('the reaction key', () => {
	it('splits what it builds, emoji of several code points included', () => {
		for (const emoji of ['👍', '❤️', '👍🏽', '🧑‍💻', '🇫🇷', '#️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿']) {
			expect(parseReactionKey(reactionKey(ID, emoji, 'alice'))).toEqual({
				ok: true,
				value: { messageId: ID, emoji, userId: 'alice' }
			});
		}
	});

	it.each([
		['no parts', 'alice', /messageId\|emoji\|userId/],
		['a message id that is no UUID', 'x|👍|alice', /messageId\|emoji\|userId/],
		['an empty emoji', `${ID}||alice`, /1 to 16/],
		['an emoji of 17 code units', `${ID}|${'x'.repeat(17)}|alice`, /1 to 16/],
		['no user id', `${ID}|👍|`, /user id/],
		['a word', `${ID}|ok|alice`, /one emoji/],
		['a digit', `${ID}|1|alice`, /one emoji/],
		['a text-style heart', `${ID}|❤|alice`, /one emoji/],
		['two emoji', `${ID}|👍👍|alice`, /one emoji/],
		['an emoji with a space', `${ID}| 👍|alice`, /one emoji/],
		['an emoji holding "|"', `${ID}|👍|👍|alice`, /one emoji/]
	])('refuses a key with %s', (_name, key, reason) => {
		const parsed = parseReactionKey(key);
		expect(parsed.ok).toBe(false);
		if (!parsed.ok) expect(parsed.reason).toMatch(reason);
	});
});

describe('the ts window', () => {
	it('admits 2020-01-01 to server time + 1 day, edges included, integers only', () => {
		const window = admissionWindow(NOW);
		expect(isTs(EARLIEST_TS_MS, window)).toBe(true);
		expect(isTs(EARLIEST_TS_MS - 1, window)).toBe(false);
		expect(isTs(NOW + FUTURE_TS_SLACK_MS, window)).toBe(true);
		expect(isTs(NOW + FUTURE_TS_SLACK_MS + 1, window)).toBe(false);
		expect(isTs(NOW + 0.5, window)).toBe(false);
		expect(isTs(Number.NaN, window)).toBe(false);
	});

	it('lets readers show any time a Date holds, and no other', () => {
		const message = { id: ID, author: 'alice', text: 'old', ts: 5 };
		expect(parseMessage(message, READER_LIMITS).ok).toBe(true);
		expect(parseMessage({ ...message, ts: 1e300 }, READER_LIMITS).ok).toBe(false);
		const gate = { ...READER_LIMITS, window: admissionWindow(NOW) };
		expect(parseMessage(message, gate)).toEqual({
			ok: false,
			reason: 'message ts is an integer time in the allowed window'
		});
	});
});
