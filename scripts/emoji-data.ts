/**
 * Writes src/lib/client/emoji-data.json, the emoji set the picker and the `:shortcode`
 * completion load on demand, from emojibase-data (English names, GitHub's and emojibase's
 * shortcodes, keywords). Run it again after upgrading emojibase-data:
 * `node --import tsx scripts/emoji-data.ts` (tests/unit/emoji.test.ts fails while it is stale).
 */
import { writeFileSync } from 'node:fs';
import { emojibaseEmojiData, serializeEmojiData } from './emoji-source';

writeFileSync(
	new URL('../src/lib/client/emoji-data.json', import.meta.url),
	serializeEmojiData(emojibaseEmojiData())
);
console.log(`${emojibaseEmojiData().rows.length} emoji written`);
