import { messageId } from '../support/messages';
import { describe, expect, it } from 'vitest';
import {
	nextOlder,
	parseSegment,
	segmentsBefore,
	shownFrom,
	unshownCount,
	type SegmentInfo
} from '../../src/lib/client/segments';

function info(n: number, epoch: number, count = 10): SegmentInfo {
	return { n, epoch, count, firstId: `first-${n}`, lastId: `last-${n}` };
}

/** Epoch 0 sealed into segments 0 and 1, epoch 1 into 2, epoch 2 into 3; the head is epoch 3. */
const listing = { epoch: 3, segments: [info(3, 2, 7), info(0, 0), info(2, 1, 5), info(1, 0)] };

describe('sealed history segments', () => {
	it('lists the segments sealed before a replica’s epoch, oldest first', () => {
		expect(segmentsBefore(listing, 3).map((s) => s.n)).toEqual([0, 1, 2, 3]);
		// A replica still on epoch 1 shows epoch 1's messages itself: only epoch 0 lies above.
		expect(segmentsBefore(listing, 1).map((s) => s.n)).toEqual([0, 1]);
		expect(segmentsBefore(listing, 0)).toEqual([]);
		expect(segmentsBefore(null, 3)).toEqual([]);
	});

	it('shows an unbroken stretch of loaded segments up to the head, and loads the one above', () => {
		const older = segmentsBefore(listing, 3);
		expect(shownFrom(older, new Set())).toBe(4);
		expect(nextOlder(older, new Set())?.n).toBe(3);
		expect(unshownCount(older, new Set())).toBe(10 + 10 + 5 + 7);

		expect(shownFrom(older, new Set([3, 2]))).toBe(2);
		expect(nextOlder(older, new Set([3, 2]))?.n).toBe(1);
		expect(unshownCount(older, new Set([3, 2]))).toBe(20);

		// Segment 0 alone (a gap before the head) is not shown.
		expect(shownFrom(older, new Set([0, 3]))).toBe(3);
		expect(nextOlder(older, new Set([0, 3]))?.n).toBe(2);

		expect(nextOlder(older, new Set([0, 1, 2, 3]))).toBeNull();
		expect(unshownCount(older, new Set([0, 1, 2, 3]))).toBe(0);
	});

	it('reads a segment answer, leaving out values without the message schema', () => {
		const segment = parseSegment({
			n: 2,
			epoch: 1,
			messages: [
				{ id: messageId('a'), author: 'u', text: 'hi', ts: 1, replyTo: messageId('z') },
				{ id: 'b', author: 'u' },
				'junk'
			]
		});
		expect(segment).toEqual({
			n: 2,
			epoch: 1,
			messages: [{ id: messageId('a'), author: 'u', text: 'hi', ts: 1, replyTo: messageId('z') }]
		});
		expect(parseSegment({ n: -1, epoch: 0, messages: [] })).toBeNull();
		expect(parseSegment({ n: 1, epoch: 0 })).toBeNull();
		expect(parseSegment(null)).toBeNull();
	});
});
