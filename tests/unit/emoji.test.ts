import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	buildEmojiSet,
	insertAt,
	matchShortcodes,
	normalizeEmoji,
	searchEmoji,
	shortcodeQueryAt,
	type EmojiData
} from '../../src/lib/client/emoji';
import shipped from '../../src/lib/client/emoji-data.json';
import { emojibaseEmojiData, serializeEmojiData } from '../../scripts/emoji-source';
import { REACTION_EMOJI } from '../../src/lib/client/reactions';
import { isEmoji, MAX_EMOJI_CHARS } from '../../src/lib/protocol/schema';

const set = buildEmojiSet(shipped as unknown as EmojiData);

describe('the emoji set', () => {
	it('ships what emojibase-data holds (run scripts/emoji-data.ts after an upgrade)', () => {
		const file = new URL('../../src/lib/client/emoji-data.json', import.meta.url);
		expect(readFileSync(file, 'utf8')).toBe(serializeEmojiData(emojibaseEmojiData()));
	});

	it('holds the whole set, each entry one emoji the gate accepts, each once', () => {
		expect(set.all.length).toBeGreaterThan(1800);
		expect(new Set(set.all.map((entry) => entry.emoji)).size).toBe(set.all.length);
		for (const entry of set.all) {
			expect(isEmoji(entry.emoji), entry.name).toBe(true);
			expect(entry.emoji.length).toBeLessThanOrEqual(MAX_EMOJI_CHARS);
			expect(entry.name.length).toBeGreaterThan(0);
		}
	});

	it('is grouped in Unicode order, without the bare skin tones', () => {
		expect(set.groups.map((group) => group.name)).toEqual([
			'Smileys & emotion',
			'People & body',
			'Animals & nature',
			'Food & drink',
			'Travel & places',
			'Activities',
			'Objects',
			'Symbols',
			'Flags'
		]);
		expect(set.all[0]?.emoji).toBe('😀');
		expect(set.all.some((entry) => entry.emoji === '🏽')).toBe(false);
	});

	it('writes emoji as the quick reactions do, so their chips merge', () => {
		const emoji = new Set(set.all.map((entry) => entry.emoji));
		for (const option of REACTION_EMOJI) expect(emoji.has(option.emoji), option.name).toBe(true);
		expect(normalizeEmoji('👍\uFE0F')).toBe('👍');
		expect(normalizeEmoji('❤️')).toBe('❤️');
		expect(normalizeEmoji('ok')).toBeNull();
	});
});

describe('searching the picker', () => {
	it('finds by name, shortcode and keyword, best matches first', () => {
		expect(searchEmoji(set, 'thumbs')[0]?.emoji).toBe('👍');
		expect(searchEmoji(set, ':+1:')[0]?.emoji).toBe('👍');
		expect(searchEmoji(set, 'flamingo').map((entry) => entry.emoji)).toEqual(['🦩']);
		expect(searchEmoji(set, 'Pizza')[0]?.emoji).toBe('🍕');
		expect(searchEmoji(set, 'like').map((entry) => entry.emoji)).toContain('👍');
	});

	it('answers nothing for nonsense and the start of the set for an empty query', () => {
		expect(searchEmoji(set, 'zzqqxx')).toEqual([]);
		expect(searchEmoji(set, '  ', 5).map((entry) => entry.emoji)).toEqual(
			set.all.slice(0, 5).map((entry) => entry.emoji)
		);
	});
});

describe('the :shortcode completion', () => {
	it('opens after a colon starting a word and two characters', () => {
		expect(shortcodeQueryAt(':sm', 3)).toEqual({ start: 0, query: 'sm' });
		expect(shortcodeQueryAt('hi :smile', 9)).toEqual({ start: 3, query: 'smile' });
		expect(shortcodeQueryAt('hi :smile there', 9)).toEqual({ start: 3, query: 'smile' });
		expect(shortcodeQueryAt('(:+1', 4)).toEqual({ start: 1, query: '+1' });
	});

	it('stays closed for times, links, smileys and one character', () => {
		for (const draft of ['at 10:30', 'http://example', 'nice :)', 'a :s', 'word:smile']) {
			expect(shortcodeQueryAt(draft, draft.length), draft).toBeNull();
		}
	});

	it('suggests exact and short shortcodes first', () => {
		const matches = matchShortcodes(set, 'smile');
		expect(matches[0]).toMatchObject({ shortcode: 'smile', entry: { emoji: '😄' } });
		expect(matches.map((match) => match.entry.emoji)).toContain('😸');
		expect(matchShortcodes(set, 'tada')[0]?.entry.emoji).toBe('🎉');
		expect(matchShortcodes(set, 'zzqqxx')).toEqual([]);
		expect(matchShortcodes(set, 'a', 8)).toHaveLength(8);
	});

	it('replaces the typed shortcode with the emoji and puts the caret after it', () => {
		expect(insertAt('hi :smi there', 3, 7, '😄')).toEqual({ draft: 'hi 😄 there', caret: 5 });
	});
});
