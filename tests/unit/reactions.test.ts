import { describe, expect, it } from 'vitest';
import {
	REACTION_EMOJI,
	parseReactionKey,
	reactionKey,
	reactionLabel,
	summarizeReactions
} from '../../src/lib/client/reactions';

const M1 = '11111111-1111-4111-8111-111111111111';
const M2 = '22222222-2222-4222-8222-222222222222';

describe('reaction keys', () => {
	it('round-trips messageId|emoji|userId, also for emoji made of several code points', () => {
		for (const emoji of ['👍', '❤️', '👍🏽', '🧑‍💻']) {
			const key = reactionKey(M1, emoji, 'user1');
			expect(key).toBe(`${M1}|${emoji}|user1`);
			expect(parseReactionKey(key)).toEqual({ messageId: M1, emoji, userId: 'user1' });
		}
	});

	it('refuses keys without three parts or with an over-long emoji', () => {
		for (const key of [
			'',
			M1,
			`${M1}|👍`,
			`|👍|u`,
			`${M1}||u`,
			`${M1}|👍|`,
			`${M1}|${'x'.repeat(17)}|u`
		]) {
			expect(parseReactionKey(key)).toBeNull();
		}
	});

	it('the picker offers about two dozen distinct emoji, each with a name', () => {
		expect(REACTION_EMOJI.length).toBeGreaterThanOrEqual(20);
		expect(new Set(REACTION_EMOJI.map((option) => option.emoji)).size).toBe(REACTION_EMOJI.length);
		for (const option of REACTION_EMOJI) {
			expect(option.name.length).toBeGreaterThan(0);
			expect(option.emoji.length).toBeLessThanOrEqual(16);
		}
	});
});

describe('summarizeReactions', () => {
	it('counts each emoji per message, lists who reacted in order and marks my own', () => {
		const entries: Array<[string, unknown]> = [
			[reactionKey(M1, '👍', 'bob'), 20],
			[reactionKey(M1, '👍', 'alice'), 10],
			[reactionKey(M1, '🎉', 'bob'), 30],
			[reactionKey(M2, '👍', 'carol'), 5]
		];
		const result = summarizeReactions(entries, 'alice');
		expect(result.get(M1)).toEqual([
			{ emoji: '👍', count: 2, userIds: ['alice', 'bob'], mine: true },
			{ emoji: '🎉', count: 1, userIds: ['bob'], mine: false }
		]);
		expect(result.get(M2)).toEqual([{ emoji: '👍', count: 1, userIds: ['carol'], mine: false }]);
	});

	it('skips malformed keys and values that are not finite numbers', () => {
		const result = summarizeReactions(
			[
				['nonsense', 1],
				[reactionKey(M1, '👍', 'bob'), 'soon'],
				[reactionKey(M1, '👍', 'carol'), Number.NaN],
				[reactionKey(M1, '👍', 'dave'), 4]
			],
			'alice'
		);
		expect(result.get(M1)).toEqual([{ emoji: '👍', count: 1, userIds: ['dave'], mine: false }]);
		expect(result.size).toBe(1);
	});

	it('orders chips and people the same way on every replica, whatever the map order', () => {
		const entries: Array<[string, unknown]> = [
			[reactionKey(M1, '🔥', 'b'), 5],
			[reactionKey(M1, '👀', 'a'), 5],
			[reactionKey(M1, '🔥', 'a'), 5]
		];
		const forward = summarizeReactions(entries, 'x');
		const backward = summarizeReactions([...entries].reverse(), 'x');
		expect(forward).toEqual(backward);
		expect(forward.get(M1)?.find((chip) => chip.emoji === '🔥')?.userIds).toEqual(['a', 'b']);
	});
});

describe('reactionLabel', () => {
	it('names the emoji, the count and who reacted', () => {
		const names: Record<string, string> = { u1: 'alice', u2: 'bob' };
		expect(
			reactionLabel(
				{ emoji: '👍', count: 2, userIds: ['u1', 'u2'], mine: true },
				(id) => names[id] ?? id
			)
		).toBe('👍 2: alice, bob');
	});
});
