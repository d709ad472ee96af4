/**
 * The whole emoji set (emojibase-data, loaded on demand: not in the room page's first JS), its
 * search for the picker and the `:shortcode:` completion of the composer. Pure apart from
 * `loadEmojiSet`, so the rules are unit-tested on the real data.
 */
import { isEmoji } from '../protocol/schema';

export interface EmojiEntry {
	/** The emoji as a reaction key holds it: one RGI emoji (see `isEmoji`). */
	readonly emoji: string;
	/** Its CLDR name, e.g. "thumbs up": the accessible name beside the emoji. */
	readonly name: string;
	/** Without colons, e.g. "+1", "thumbsup", "thumbs_up". */
	readonly shortcodes: readonly string[];
	readonly tags: readonly string[];
}

export interface EmojiGroup {
	readonly name: string;
	readonly emoji: readonly EmojiEntry[];
}

export interface EmojiSet {
	/** In Unicode's order, groups one after the other. */
	readonly all: readonly EmojiEntry[];
	readonly groups: readonly EmojiGroup[];
}

/** The fields of emojibase's full dataset that the slim set is made from. */
export interface EmojibaseEmoji {
	readonly emoji: string;
	/** The Emoji version that brought it (0.6 … 17). */
	readonly version: number;
	readonly label: string;
	readonly hexcode: string;
	readonly group?: number;
	readonly order?: number;
	readonly tags?: readonly string[];
}

/** emojibase's shortcode datasets: hexcode -> one shortcode or several. */
export type ShortcodeData = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The set as shipped (emoji-data.json, written by scripts/emoji-data.ts): a fifth of
 * emojibase's compact file. A row is [emoji, name, group index, shortcodes, tags], the last two
 * space-separated.
 */
export interface EmojiData {
	readonly groups: readonly string[];
	readonly rows: readonly (readonly [string, string, number, string, string])[];
}

/** emojibase's group 2 ("components": bare skin tones and hair styles) is not for picking. */
const COMPONENT_GROUP = 2;

/**
 * emojibase writes some emoji with a VS16 the RGI set does not have ("👍\uFE0F"): the RGI form
 * is what the gate accepts and what older reactions hold, so "👍" from the picker and "👍" from
 * a reaction chip are one chip. Null for what is no emoji at all.
 */
export function normalizeEmoji(text: string): string | null {
	if (isEmoji(text)) return text;
	const bare = text.replaceAll('\uFE0F', '');
	return isEmoji(bare) ? bare : null;
}

/** "smileys & emotion" -> "Smileys & emotion". */
function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The newest Emoji version the bundled font (Twemoji 15, src/lib/styles/emoji-font.css) draws:
 * newer emoji would be empty boxes where the system has no emoji font, so the set stops here.
 */
export const MAX_EMOJI_VERSION = 15;

/**
 * The slim set from emojibase's data: in Unicode order, no components, up to
 * MAX_EMOJI_VERSION, RGI forms.
 */
export function slimEmojiData(
	data: readonly EmojibaseEmoji[],
	groups: readonly { readonly message: string; readonly order: number }[],
	shortcodes: readonly ShortcodeData[]
): EmojiData {
	const names: string[] = [];
	for (const group of groups) names[group.order] = capitalize(group.message);
	const rows = data
		.filter(
			(item) =>
				item.group !== undefined &&
				item.group !== COMPONENT_GROUP &&
				item.version <= MAX_EMOJI_VERSION
		)
		.sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
		.flatMap((item) => {
			const emoji = normalizeEmoji(item.emoji);
			if (emoji === null) return [];
			const codes = new Set(shortcodes.flatMap((set) => [set[item.hexcode] ?? []].flat()));
			const row = [
				emoji,
				item.label,
				item.group ?? 0,
				[...codes].join(' '),
				(item.tags ?? []).join(' ')
			] as const;
			return [row];
		});
	return { groups: names.map((name) => name ?? 'Other'), rows };
}

/** The picker's set; what this engine's Unicode version cannot accept is left out. */
export function buildEmojiSet(data: EmojiData): EmojiSet {
	const byGroup = new Map<number, EmojiEntry[]>();
	for (const [emoji, name, group, shortcodes, tags] of data.rows) {
		if (!isEmoji(emoji)) continue;
		const list = byGroup.get(group) ?? [];
		list.push({
			emoji,
			name,
			shortcodes: shortcodes === '' ? [] : shortcodes.split(' '),
			tags: tags === '' ? [] : tags.split(' ')
		});
		byGroup.set(group, list);
	}
	const groups = [...byGroup]
		.sort(([a], [b]) => a - b)
		.map(([index, emoji]) => ({ name: data.groups[index] ?? 'Other', emoji }));
	return { all: groups.flatMap((group) => group.emoji), groups };
}

/** How well an entry matches a lower-case query: lower is better, null for no match. */
function rankOf(entry: EmojiEntry, query: string): number | null {
	if (entry.shortcodes.some((code) => code === query)) return 0;
	if (entry.shortcodes.some((code) => code.startsWith(query))) return 1;
	const name = entry.name.toLowerCase();
	if (name.startsWith(query)) return 1;
	if (name.split(/[\s:,-]+/).some((word) => word.startsWith(query))) return 2;
	if (entry.tags.some((tag) => tag.startsWith(query))) return 3;
	if (name.includes(query) || entry.shortcodes.some((code) => code.includes(query))) return 4;
	return null;
}

/** The picker's search: names, shortcodes and keywords, best matches first, then Unicode order. */
export function searchEmoji(set: EmojiSet, query: string, limit = 120): EmojiEntry[] {
	const q = query.trim().toLowerCase().replace(/^:|:$/g, '');
	if (q === '') return set.all.slice(0, limit);
	const ranked: { entry: EmojiEntry; rank: number; index: number }[] = [];
	set.all.forEach((entry, index) => {
		const rank = rankOf(entry, q);
		if (rank !== null) ranked.push({ entry, rank, index });
	});
	ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
	return ranked.slice(0, limit).map((match) => match.entry);
}

/** One suggestion of the `:shortcode` completion. */
export interface ShortcodeMatch {
	readonly entry: EmojiEntry;
	/** The shortcode that matched, shown as ":smile:". */
	readonly shortcode: string;
}

/** Entries with a shortcode starting with the query (then containing it), one line each. */
export function matchShortcodes(set: EmojiSet, query: string, limit = 8): ShortcodeMatch[] {
	const q = query.toLowerCase();
	const starts: ShortcodeMatch[] = [];
	const contains: ShortcodeMatch[] = [];
	for (const entry of set.all) {
		const start = entry.shortcodes.find((code) => code.startsWith(q));
		if (start !== undefined) {
			starts.push({ entry, shortcode: start });
			continue;
		}
		const inside = entry.shortcodes.find((code) => code.includes(q));
		if (inside !== undefined) contains.push({ entry, shortcode: inside });
	}
	// Exact and shorter shortcodes first: ":smile" suggests 😄 before 😸 (":smile_cat:").
	starts.sort((a, b) => a.shortcode.length - b.shortcode.length);
	return [...starts, ...contains].slice(0, limit);
}

/** The ":…" being typed before the caret: where its colon is and the letters after it. */
export interface ShortcodeQuery {
	readonly start: number;
	readonly query: string;
}

/**
 * At least two characters after a colon that starts a word, so "10:30", "http://" and ":)" do
 * not open the suggestions.
 */
export function shortcodeQueryAt(draft: string, caret: number): ShortcodeQuery | null {
	const match = /(^|[\s([{"'])(:([a-z0-9_+-]{2,}))$/i.exec(draft.slice(0, caret));
	const query = match?.[3];
	if (query === undefined) return null;
	return { start: caret - query.length - 1, query };
}

/** Puts `text` in place of draft[start..caret] and the caret after it. */
export function insertAt(
	draft: string,
	start: number,
	caret: number,
	text: string
): { readonly draft: string; readonly caret: number } {
	return { draft: draft.slice(0, start) + text + draft.slice(caret), caret: start + text.length };
}

let loading: Promise<EmojiSet> | null = null;

/** The set, fetched once per page (a chunk of its own, precached for offline use). */
export function loadEmojiSet(): Promise<EmojiSet> {
	// Our own build's file, written by scripts/emoji-data.ts: JSON types its rows loosely.
	loading ??= import('./emoji-data.json').then((module) =>
		buildEmojiSet(module.default as unknown as EmojiData)
	);
	loading.catch(() => (loading = null));
	return loading;
}
