/**
 * The summary feed's pure parts: what a committed update changes in a summary (as the gate
 * parsed it), the control messages that carry it between instances, and the pace of the periodic
 * re-listing.
 */
import * as encoding from 'lib0/encoding';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { PREVIEW_CHARS } from '../../src/lib/protocol/summaries';
import { decodeEnvelope, encodeEnvelope } from '../../sync-server/bus-redis';
import { InProcessBus } from '../../sync-server/bus';
import { checkUpdate, type Written } from '../../sync-server/gate';
import { SummaryFeed, activityOf, storedIsBehind } from '../../sync-server/summary-feed';
import type { SummaryStorage } from '../../src/lib/server/storage/types';
import type { RoomSummary } from '../../src/lib/protocol/summaries';

const ALICE = { userId: 'alice', username: 'Alice' };
const M1 = '00000000-0000-4000-8000-000000000001';
const M2 = '00000000-0000-4000-8000-000000000002';

function updateOf(change: (doc: Y.Doc) => void, doc = new Y.Doc()): Uint8Array {
	const before = Y.encodeStateVector(doc);
	change(doc);
	return Y.encodeStateAsUpdate(doc, before);
}

/**
 * What the gate hands the summaries for `data` from `userId` (the server's `doc` then applies it,
 * so a later update is judged against it); `relayFor` marks the writing doc's clientID as that
 * user's, committed before (a relay, gate rule 5).
 */
function writtenBy(
	userId: string,
	data: Uint8Array,
	doc = new Y.Doc(),
	relayFor?: { clientId: number; owner: string }
): Written {
	const owners = new Map(relayFor ? [[relayFor.clientId, relayFor.owner]] : []);
	const highWater = new Map(relayFor ? [[relayFor.clientId, 1_000]] : []);
	const limits = { maxMessageChars: 10_000 };
	const verdict = checkUpdate(doc, { userId }, data, limits, owners, highWater);
	if (!verdict.ok) throw new Error(verdict.reason);
	Y.applyUpdate(doc, verdict.update);
	return verdict.written;
}

describe('activityOf', () => {
	it('takes the update’s last message, its text cut to a preview, named after its sender', () => {
		const long = 'x'.repeat(PREVIEW_CHARS + 50);
		const now = Date.now();
		const data = updateOf((doc) => {
			doc.getArray('messages').push([
				{ id: M1, author: 'alice', text: 'first', ts: now },
				{ id: M2, author: 'alice', text: long, ts: now + 1 }
			]);
		});
		const written = writtenBy('alice', data);
		const activity = activityOf({ roomId: 'r', seq: 7, written, sender: ALICE });
		expect(activity?.seq).toBe(7);
		expect(activity?.message).toMatchObject({ id: M2, author: 'alice', authorName: 'Alice' });
		expect(activity?.message?.text).toHaveLength(PREVIEW_CHARS);
		expect(activity?.reads).toEqual([]);
		// A display name names it instead; another author's message in the update is unnamed.
		const named = { ...ALICE, displayName: 'Alice Liddell' };
		expect(activityOf({ roomId: 'r', seq: 7, written, sender: named })?.message?.authorName).toBe(
			'Alice Liddell'
		);
		const bobs = new Y.Doc();
		const relayed = updateOf((doc) => {
			doc.getArray('messages').push([{ id: M1, author: 'bob', text: 'hi', ts: now }]);
		}, bobs);
		const relay = writtenBy('alice', relayed, new Y.Doc(), {
			clientId: bobs.clientID,
			owner: 'bob'
		});
		expect(
			activityOf({ roomId: 'r', seq: 8, written: relay, sender: named })?.message
		).toMatchObject({ id: M1, author: 'bob', authorName: null });
	});

	it('finds read marks, also a rewrite whose key the wire leaves out (it is the sender’s)', () => {
		const doc = new Y.Doc();
		const server = new Y.Doc();
		const now = Date.now();
		const first = updateOf((d) => d.getMap('reads').set('alice', { upTo: M1, ts: now }), doc);
		const second = updateOf((d) => d.getMap('reads').set('alice', { upTo: M2, ts: now + 1 }), doc);
		const activity = (seq: number, data: Uint8Array) =>
			activityOf({ roomId: 'r', seq, written: writtenBy('alice', data, server), sender: ALICE });
		expect(activity(1, first)?.reads).toEqual([
			{ roomId: 'r', userId: 'alice', upTo: M1, ts: now }
		]);
		expect(activity(2, second)?.reads).toEqual([
			{ roomId: 'r', userId: 'alice', upTo: M2, ts: now + 1 }
		]);
	});

	it('is null for what a summary does not follow (reactions, edits)', () => {
		const data = updateOf((doc) => doc.getMap('reactions').set(`${M1}|👍|alice`, Date.now()));
		const written = writtenBy('alice', data);
		expect(activityOf({ roomId: 'r', seq: 3, written, sender: ALICE })).toBeNull();
	});
});

describe('storedIsBehind', () => {
	const room = (last: { id: string; ts: number } | null): RoomSummary => ({
		id: 'r',
		name: 'R',
		kind: 'room',
		topic: '',
		archived: false,
		encrypted: false,
		others: [],
		lastSeq: 9,
		last: last && { ...last, author: 'a', authorName: null, text: 't', deleted: false },
		unread: 0,
		level: null,
		mentions: 0
	});

	it('holds when storage lacks the last message the feed was told of (the index lags)', () => {
		const told = room({ id: M2, ts: 20 });
		expect(storedIsBehind(told, room(null))).toBe(true);
		expect(storedIsBehind(told, room({ id: M1, ts: 10 }))).toBe(true);
	});

	it('does not hold for the same message, a newer one, or when nothing was told', () => {
		expect(storedIsBehind(room({ id: M2, ts: 20 }), room({ id: M2, ts: 20 }))).toBe(false);
		expect(storedIsBehind(room({ id: M1, ts: 10 }), room({ id: M2, ts: 20 }))).toBe(false);
		expect(storedIsBehind(undefined, room(null))).toBe(false);
		expect(storedIsBehind(room(null), room(null))).toBe(false);
	});
});

/** A control envelope's head (version 1, `kind`, instance 'i', time 1): its fields follow. */
function envelopeOf(kind: number): encoding.Encoder {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, 1);
	encoding.writeVarUint(encoder, kind);
	encoding.writeVarString(encoder, 'i');
	encoding.writeVarUint(encoder, 1);
	return encoder;
}

describe('summary control messages on the Redis bus', () => {
	it('round-trip, and a summary that is not one is dropped, never thrown', () => {
		const activity = {
			roomId: 'r',
			seq: 4,
			message: { id: M1, author: 'a', authorName: null, text: 'hi', ts: 1 },
			reads: [{ roomId: 'r', userId: 'b', upTo: M1, ts: 2 }]
		};
		for (const message of [
			{ kind: 'summary', activity } as const,
			{ kind: 'user-rooms', userId: 'u' } as const,
			{ kind: 'user-rooms', userId: 'u', removed: 'r' } as const,
			{ kind: 'room-settings', roomId: 'r' } as const,
			{ kind: 'inbox', userId: 'u' } as const,
			{ kind: 'profile', userId: 'u', displayName: 'Zoë' } as const,
			{ kind: 'profile', userId: 'u', displayName: '' } as const,
			{
				kind: 'online',
				instanceId: 'i2',
				full: false,
				ask: false,
				came: ['u'],
				went: ['v', 'w']
			} as const,
			{ kind: 'online', instanceId: 'i2', full: true, ask: true, came: [], went: [] } as const
		]) {
			const decoded = decodeEnvelope(
				encodeEnvelope({ instanceId: 'i', publishedAtMs: 1, message })
			);
			expect(decoded).toEqual({
				ok: true,
				envelope: { instanceId: 'i', publishedAtMs: 1, message }
			});
		}
		const bad = envelopeOf(5);
		encoding.writeVarString(bad, JSON.stringify({ ...activity, seq: -1 }));
		expect(decodeEnvelope(encoding.toUint8Array(bad))).toMatchObject({ ok: false });
		// A display name that the profile form would refuse is dropped too.
		const badName = envelopeOf(9);
		encoding.writeVarString(badName, 'u');
		encoding.writeVarString(badName, 'x'.repeat(65));
		expect(decodeEnvelope(encoding.toUint8Array(badName))).toMatchObject({ ok: false });
		// An online list that claims more ids than its bytes can hold is dropped, never allocated.
		const tooMany = envelopeOf(10);
		encoding.writeVarString(tooMany, 'i2');
		encoding.writeVarUint(tooMany, 1);
		encoding.writeVarUint(tooMany, 2 ** 30);
		expect(decodeEnvelope(encoding.toUint8Array(tooMany))).toMatchObject({ ok: false });
	});
});

describe('the periodic re-listing', () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it('re-lists every socket once per period, a slice a second, never all at once', async () => {
		vi.useFakeTimers();
		const listed: string[] = [];
		const storage = {
			ofUser: async (userId: string) => {
				listed.push(userId);
				return [];
			},
			defaultLevelOf: async () => 'all' as const
		} as unknown as SummaryStorage;
		const feed = new SummaryFeed({
			storage,
			bus: new InProcessBus(),
			log: pino({ level: 'silent' }),
			recheckIntervalMs: 10_000
		});
		try {
			for (let i = 0; i < 20; i++) {
				feed.connect({
					userId: `u${i}`,
					username: `u${i}`,
					sessionId: `s${i}`,
					send: () => undefined,
					close: () => undefined
				});
			}
			await vi.advanceTimersByTimeAsync(0);
			expect(listed).toHaveLength(20);
			// 10 slices of a 10 s period: 2 sockets a second.
			await vi.advanceTimersByTimeAsync(1_000);
			expect(listed).toHaveLength(22);
			await vi.advanceTimersByTimeAsync(9_000);
			expect(listed).toHaveLength(40);
			expect(new Set(listed.slice(20))).toEqual(new Set(listed.slice(0, 20)));
		} finally {
			feed.close();
		}
	});
});
