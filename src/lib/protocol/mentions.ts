/**
 * Mentions: "@username" in a message text, and "@room" / "@here" (everyone in the room), the
 * one rule the browser (highlighting, notifications: src/lib/client/mentions.ts) and the
 * server's summaries (mention counts: sync-server/summary-feed.ts) both apply.
 */

// "@" at the start or after a character that cannot end a username or an e-mail's local part.
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]+)/g;

/**
 * Mentions of everyone in the room (docs/design.md "Conversation features"). These words are
 * never usernames (registration refuses them), so "@room" cannot name one person.
 */
export const ROOM_MENTIONS = ['room', 'here'] as const;
export type RoomMention = (typeof ROOM_MENTIONS)[number];

export interface MentionMatch {
	/** Index of the "@". */
	readonly start: number;
	/** "@" and the username (or "room" / "here") as written. */
	readonly text: string;
	/** The known username it names, as the member list spells it; for "@room" / "@here" that word. */
	readonly username: string;
	/** "room" / "here" when it mentions everyone in the room, else null. */
	readonly everyone: RoomMention | null;
}

function roomMention(word: string): RoomMention | null {
	const lower = word.toLowerCase();
	return ROOM_MENTIONS.find((name) => name === lower) ?? null;
}

/** Is `word` "room" or "here" (any case): a name no user may take. */
export function isRoomMentionWord(word: string): boolean {
	return roomMention(word) !== null;
}

/**
 * The mentions in `text` of known usernames (case-insensitive) and of the whole room. A
 * trailing dot is taken as punctuation ("thanks @bob.") unless the username itself ends with one.
 */
export function findMentions(text: string, usernames: Iterable<string>): MentionMatch[] {
	const known = new Map<string, string>();
	for (const name of usernames) known.set(name.toLowerCase(), name);
	const found: MentionMatch[] = [];
	for (const match of text.matchAll(MENTION)) {
		const lead = match[1] ?? '';
		let written = match[2] ?? '';
		let everyone = roomMention(written);
		let username = everyone ?? known.get(written.toLowerCase());
		while (username === undefined && written.endsWith('.')) {
			written = written.slice(0, -1);
			everyone = roomMention(written);
			username = everyone ?? known.get(written.toLowerCase());
		}
		if (username === undefined) continue;
		found.push({ start: match.index + lead.length, text: `@${written}`, username, everyone });
	}
	return found;
}

/** Does `text` mention `username`, by name or as one of everyone ("@room", "@here")? */
export function mentionsUser(text: string, username: string): boolean {
	// Most messages mention nobody: skip the scan (the summaries call this per member).
	return text.includes('@') && findMentions(text, [username]).length > 0;
}
