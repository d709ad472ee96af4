/**
 * Reactions of a room document: the `reactions` map holds `messageId|emoji|userId` -> ts, one
 * key per person, emoji and message (docs/design.md, "The room document").
 */

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

/** The gate's bounds on the emoji part of a key, in UTF-16 code units. */
const EMOJI_MAX_UNITS = 16;

export interface ReactionKey {
	readonly messageId: string;
	readonly emoji: string;
	readonly userId: string;
}

export function reactionKey(messageId: string, emoji: string, userId: string): string {
	return `${messageId}|${emoji}|${userId}`;
}

/** Splits a key at its first and last `|` (ids never hold one); null when malformed. */
export function parseReactionKey(key: string): ReactionKey | null {
	const first = key.indexOf('|');
	const last = key.lastIndexOf('|');
	if (first <= 0 || last <= first + 1 || last === key.length - 1) return null;
	const emoji = key.slice(first + 1, last);
	if (emoji.length > EMOJI_MAX_UNITS) return null;
	return { messageId: key.slice(0, first), emoji, userId: key.slice(last + 1) };
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
 * person once. Values that are not finite numbers are skipped (the gate refuses them).
 */
export function summarizeReactions(
	entries: Iterable<readonly [string, unknown]>,
	selfId: string
): Map<string, ReactionSummary[]> {
	const perMessage = new Map<string, Map<string, Array<{ userId: string; ts: number }>>>();
	for (const [key, value] of entries) {
		if (typeof value !== 'number' || !Number.isFinite(value)) continue;
		const parsed = parseReactionKey(key);
		if (!parsed) continue;
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
