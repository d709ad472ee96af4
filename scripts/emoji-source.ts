/** emojibase-data's English set, slimmed for the browser (see scripts/emoji-data.ts). */
import data from 'emojibase-data/en/data.json';
import messages from 'emojibase-data/en/messages.json';
import emojibase from 'emojibase-data/en/shortcodes/emojibase.json';
import github from 'emojibase-data/en/shortcodes/github.json';
import { slimEmojiData, type EmojiData } from '../src/lib/client/emoji';

export function emojibaseEmojiData(): EmojiData {
	return slimEmojiData(data, messages.groups, [github, emojibase]);
}

/** One row a line, so that an upgrade's diff shows what changed. */
export function serializeEmojiData(set: EmojiData): string {
	const rows = set.rows.map((row) => JSON.stringify(row)).join(',\n');
	return `{"groups":${JSON.stringify(set.groups)},"rows":[\n${rows}\n]}\n`;
}
