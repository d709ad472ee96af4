import { messageId } from '../support/messages';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	EMPTY_DELIVERY_STATE,
	deliveryOf,
	readArrayEntries,
	withOwnClient,
	withStoredClocks,
	type DeliveryState
} from '../../src/lib/client/delivery';
import {
	MessageViews,
	roomTypesOf,
	type MessageView,
	type RoomTypes
} from '../../src/lib/client/message-views';
import {
	displayedText,
	parseChange,
	parseMessage,
	type ChatMessage
} from '../../src/lib/client/messages';
import { reactionKey, summarizeReactions } from '../../src/lib/client/reactions';
import {
	parseReadMark,
	positionsOf,
	reachOf,
	receiptOf,
	type ReadMark
} from '../../src/lib/client/receipts';
import { indexById, quoteOf, type QuotedSource } from '../../src/lib/client/replies';

/** The derivation from scratch, as the room page did it before it was made incremental. */
function deriveFromScratch(
	room: RoomTypes,
	delivery: DeliveryState,
	selfId: string
): MessageView[] {
	const parsed = [];
	for (const entry of readArrayEntries(room.messages)) {
		const message = parseMessage(entry.value);
		if (message !== null) parsed.push({ message, entry });
	}
	const positionOf = positionsOf(parsed.map(({ message }) => message));
	const marks = new Map<string, ReadMark>();
	room.reads.forEach((value, userId) => {
		const mark = parseReadMark(value);
		if (mark) marks.set(userId, mark);
	});
	const reach = reachOf(null, marks, positionOf, selfId);
	const reactions = summarizeReactions(room.reactions.entries(), selfId);
	const shown = parsed.map(({ message, entry }) => ({
		message,
		entry,
		display: displayedText(message, parseChange(room.changes.get(message.id)))
	}));
	const sources = indexById(
		shown.map(({ message, display }): QuotedSource => ({
			id: message.id,
			author: message.author,
			...display
		}))
	);
	return shown.map(({ message, entry, display }, index): MessageView => {
		const view = {
			...message,
			text: display.text,
			edited: display.edited,
			deleted: display.deleted,
			reactions: display.deleted ? [] : (reactions.get(message.id) ?? []),
			quote: message.replyTo === undefined ? null : quoteOf(message.replyTo, sources),
			unreadable: false,
			original: message,
			change: parseChange(room.changes.get(message.id))
		};
		if (message.author !== selfId) return { ...view, receipt: null };
		const stored = deliveryOf(entry, delivery) === 'stored';
		return { ...view, receipt: receiptOf(stored, index, reach) };
	});
}

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
function random(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function message(n: number, author: string, replyTo?: string): Record<string, unknown> {
	const base = { id: messageId(`m${n}`), author, text: `message ${n}`, ts: 1_000 + n };
	return replyTo === undefined ? base : { ...base, replyTo };
}

describe('MessageViews', () => {
	it('keeps the view objects of unchanged messages when messages are appended', () => {
		const doc = new Y.Doc();
		const room = roomTypesOf(doc);
		room.messages.push([message(0, 'bob'), message(1, 'carol')]);
		const views = new MessageViews('alice');
		const first = views.derive(room, EMPTY_DELIVERY_STATE).views;

		room.messages.push([message(2, 'bob')]);
		const second = views.derive(room, EMPTY_DELIVERY_STATE).views;

		expect(second.map((view) => view.id)).toEqual([
			messageId('m0'),
			messageId('m1'),
			messageId('m2')
		]);
		expect(second[0]).toBe(first[0]);
		expect(second[1]).toBe(first[1]);
	});

	it('gives a new view only to the message whose reactions or text changed', () => {
		const doc = new Y.Doc();
		const room = roomTypesOf(doc);
		room.messages.push([message(0, 'bob'), message(1, 'carol'), message(2, 'bob')]);
		const views = new MessageViews('alice');
		const first = views.derive(room, EMPTY_DELIVERY_STATE).views;

		room.reactions.set(reactionKey(messageId('m1'), '👍', 'alice'), 5);
		room.changes.set(messageId('m2'), { text: 'edited', ts: 6 });
		const second = views.derive(room, EMPTY_DELIVERY_STATE).views;

		expect(second[0]).toBe(first[0]);
		expect(second[1]).not.toBe(first[1]);
		expect(second[1]?.reactions).toEqual([
			{ emoji: '👍', count: 1, userIds: ['alice'], mine: true }
		]);
		expect(second[2]).toMatchObject({ text: 'edited', edited: true });
	});

	it('turns an own pending message into a sent one when the server reports it stored', () => {
		const doc = new Y.Doc();
		const room = roomTypesOf(doc);
		room.messages.push([message(0, 'alice')]);
		const own = withOwnClient(EMPTY_DELIVERY_STATE, doc.clientID);
		const views = new MessageViews('alice');

		expect(views.derive(room, own, false)).toMatchObject({
			pending: 1,
			views: [{ id: messageId('m0'), receipt: 'pending' }]
		});
		const stored = withStoredClocks(own, new Map([[doc.clientID, 1]]));
		expect(views.derive(room, stored, false)).toMatchObject({
			pending: 0,
			views: [{ id: messageId('m0'), receipt: 'sent' }]
		});
	});

	it('shows a placeholder in the place of each stored value without the message schema', () => {
		const doc = new Y.Doc();
		const room = roomTypesOf(doc);
		room.messages.push([message(0, 'bob'), 'not a message', { id: 'x' }, message(1, 'bob')]);
		room.reads.set('bob', { upTo: messageId('m1'), ts: 5 });
		const views = new MessageViews('alice');
		const result = views.derive(room, EMPTY_DELIVERY_STATE);
		expect(result.views.map((view) => view.unreadable)).toEqual([false, true, true, false]);
		expect(result.views[0]?.id).toBe(messageId('m0'));
		expect(result.views[3]?.id).toBe(messageId('m1'));
		expect(result.views[1]).toMatchObject({ author: '', text: '', reactions: [], quote: null });
		// Placeholder ids are unique and stable from one derivation to the next.
		expect(new Set(result.views.map((view) => view.id)).size).toBe(4);
		const again = views.derive(room, EMPTY_DELIVERY_STATE);
		expect(again.views[1]).toBe(result.views[1]);
		expect(again.views[2]).toBe(result.views[2]);
	});

	it('puts sealed messages before the head’s, with the head’s changes, reactions and read marks', () => {
		const doc = new Y.Doc();
		const room = roomTypesOf(doc);
		const chat = (n: number, author: string): ChatMessage => ({
			id: messageId(`m${n}`),
			author,
			text: `message ${n}`,
			ts: 1_000 + n
		});
		const older = [chat(0, 'alice'), chat(1, 'bob'), chat(2, 'alice')];
		room.messages.push([message(3, 'bob', messageId('m1')), message(4, 'alice')]);
		room.changes.set(messageId('m1'), { text: 'edited after the seal', ts: 9 });
		room.changes.set(messageId('m2'), { deleted: true, ts: 9 });
		room.reactions.set(reactionKey(messageId('m0'), '🎉', 'bob'), 9);
		room.reads.set('bob', { upTo: messageId('m0'), ts: 9 });
		const own = withOwnClient(EMPTY_DELIVERY_STATE, doc.clientID);
		const views = new MessageViews('alice');

		const result = views.derive(room, own, true, older);

		expect(result.older).toBe(3);
		expect(result.pending).toBe(1);
		expect(result.views).toMatchObject([
			{ id: messageId('m0'), receipt: 'read', reactions: [{ emoji: '🎉', count: 1 }] },
			{ id: messageId('m1'), text: 'edited after the seal', edited: true, receipt: null },
			{ id: messageId('m2'), deleted: true, receipt: 'sent' },
			{
				id: messageId('m3'),
				quote: { kind: 'found', id: messageId('m1'), excerpt: 'edited after the seal' }
			},
			{ id: messageId('m4'), receipt: 'pending' }
		]);
		// The same sealed values keep their views; an id the head holds too shows once.
		const again = views.derive(room, own, false, [...older, chat(4, 'alice')]);
		expect(again.views.map((view) => view.id)).toEqual([
			messageId('m0'),
			messageId('m1'),
			messageId('m2'),
			messageId('m3'),
			messageId('m4')
		]);
		expect(again.views[0]).toBe(result.views[0]);
		expect(again.older).toBe(3);
	});

	const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
	it(`equals a derivation from scratch after any mix of changes (seed ${seed})`, () => {
		const next = random(seed);
		const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
		const users = ['alice', 'bob', 'carol'];
		// Two replicas exchanging updates, so inserts land in the middle and concurrently too.
		const local = new Y.Doc();
		const remote = new Y.Doc();
		const room = roomTypesOf(local);
		const other = roomTypesOf(remote);
		let delivery = withOwnClient(EMPTY_DELIVERY_STATE, local.clientID);
		const views = new MessageViews('alice');
		let count = 0;
		for (let step = 0; step < 300; step++) {
			const ids = room.messages
				.toArray()
				.map((value) => parseMessage(value)?.id)
				.filter((id) => id !== undefined);
			const action = next();
			if (action < 0.35 || ids.length === 0) {
				const reply = next() < 0.2 && ids.length > 0 ? pick(ids) : undefined;
				room.messages.push([message(count++, pick(users), reply)]);
			} else if (action < 0.45) {
				other.messages.insert(Math.floor(next() * (other.messages.length + 1)), [
					message(count++, pick(users))
				]);
			} else if (action < 0.55) {
				room.changes.set(pick(ids), { text: `edit ${step}`, ts: step });
			} else if (action < 0.6) {
				room.changes.set(pick(ids), { deleted: true, ts: step });
			} else if (action < 0.7) {
				const key = reactionKey(pick(ids), pick(['👍', '🎉']), pick(users));
				if (room.reactions.has(key)) room.reactions.delete(key);
				else room.reactions.set(key, step);
			} else if (action < 0.8) {
				room.reads.set(pick(users), { upTo: pick(ids), ts: step });
			} else if (action < 0.85 && room.messages.length > 0) {
				room.messages.delete(Math.floor(next() * room.messages.length), 1);
			} else if (action < 0.9) {
				room.messages.insert(0, [message(count++, 'alice')]);
			} else {
				delivery = withStoredClocks(delivery, new Map([[local.clientID, Math.floor(step / 2)]]));
			}
			if (next() < 0.3) {
				Y.applyUpdate(local, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(local)));
				Y.applyUpdate(remote, Y.encodeStateAsUpdate(local, Y.encodeStateVector(remote)));
			}
			const derived = views.derive(room, delivery);
			const expected = deriveFromScratch(room, delivery, 'alice');
			expect(derived.views, `step ${step}`).toEqual(expected);
			expect(derived.pending).toBe(expected.filter((v) => v.receipt === 'pending').length);
		}
	});
});
