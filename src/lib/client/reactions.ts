/**
 * Reactions of a room document: the `reactions` map holds `messageId|emoji|userId` -> ts, one
 * key per person, emoji and message (docs/design.md, "The room document").
 */
import {
	READER_LIMITS,
	parseReaction as parseReactionValue,
	parseReactionKey as parseKey,
	parseReactionTs,
	type Reaction,
	type ReactionKey
} from '../protocol/schema';

/** The picker's built-in set: common emoji, each with a name for screen readers. */
export const REACTION_EMOJI: readonly { readonly emoji: string; readonly name: string }[] = [
	{ emoji: '👍', name: 'thumbs up' },
	{ emoji: '👎', name: 'thumbs down' },
	{ emoji: '❤️', name: 'heart' },
	{ emoji: '😂', name: 'tears of joy' },
	{ emoji: '😊', name: 'smile' },
	{ emoji: '😍', name: 'heart eyes' },
	{ emoji: '😮', name: 'surprised' },
	{ emoji: '😢', name: 'crying' },
	{ emoji: '😡', name: 'angry' },
	{ emoji: '🤔', name: 'thinking' },
	{ emoji: '🙏', name: 'thank you' },
	{ emoji: '👏', name: 'clapping' },
	{ emoji: '🎉', name: 'party' },
	{ emoji: '🔥', name: 'fire' },
	{ emoji: '✅', name: 'check mark' },
	{ emoji: '❌', name: 'cross' },
	{ emoji: '👀', name: 'eyes' },
	{ emoji: '💯', name: 'hundred' },
	{ emoji: '🚀', name: 'rocket' },
	{ emoji: '👋', name: 'wave' },
	{ emoji: '🙌', name: 'raised hands' },
	{ emoji: '😅', name: 'sweat smile' },
	{ emoji: '🤝', name: 'handshake' },
	{ emoji: '⭐', name: 'star' }
];

export { reactionKey } from '../protocol/schema';
export type { Reaction, ReactionKey } from '../protocol/schema';

/** A `reactions` value (a ts, or a signed `{ ts, device, sig }`), or null without the schema. */
export function parseReaction(value: unknown): Reaction | null {
	const parsed = parseReactionValue(value, READER_LIMITS);
	return parsed.ok ? parsed.value : null;
}

/** Splits a key (src/lib/protocol/schema.ts); null when malformed. */
export function parseReactionKey(key: string): ReactionKey | null {
	const parsed = parseKey(key);
	return parsed.ok ? parsed.value : null;
}

/** One chip under a message: an emoji, who reacted with it and whether the viewer did. */
export interface ReactionSummary {
	readonly emoji: string;
	readonly count: number;
	/** In the order they reacted. */
	readonly userIds: readonly string[];
	readonly mine: boolean;
}

/**
 * Groups the map's entries per message, chips in the order their first reaction came, each
 * person once. Values that are not a ts are skipped (the gate refuses them).
 */
export function summarizeReactions(
	entries: Iterable<readonly [string, unknown]>,
	selfId: string
): Map<string, ReactionSummary[]> {
	const perMessage = new Map<string, Map<string, Array<{ userId: string; ts: number }>>>();
	for (const [key, raw] of entries) {
		const ts = parseReactionTs(raw, READER_LIMITS);
		const parsed = parseReactionKey(key);
		if (!ts.ok || !parsed) continue;
		const value = ts.value;
		let byEmoji = perMessage.get(parsed.messageId);
		if (!byEmoji) perMessage.set(parsed.messageId, (byEmoji = new Map()));
		let people = byEmoji.get(parsed.emoji);
		if (!people) byEmoji.set(parsed.emoji, (people = []));
		people.push({ userId: parsed.userId, ts: value });
	}
	const result = new Map<string, ReactionSummary[]>();
	for (const [messageId, byEmoji] of perMessage) {
		const chips = [...byEmoji].map(([emoji, people]) => {
			// Ties broken by user id so every replica lists them alike.
			people.sort((a, b) => a.ts - b.ts || (a.userId < b.userId ? -1 : 1));
			const userIds = people.map((person) => person.userId);
			return {
				first: people[0]?.ts ?? 0,
				summary: { emoji, count: userIds.length, userIds, mine: userIds.includes(selfId) }
			};
		});
		chips.sort((a, b) => a.first - b.first || (a.summary.emoji < b.summary.emoji ? -1 : 1));
		result.set(
			messageId,
			chips.map((chip) => chip.summary)
		);
	}
	return result;
}

/** The chip's accessible name and tooltip, e.g. "👍 2: alice, bob". */
export function reactionLabel(
	summary: ReactionSummary,
	nameOf: (userId: string) => string
): string {
	return `${summary.emoji} ${summary.count}: ${summary.userIds.map(nameOf).join(', ')}`;
}
