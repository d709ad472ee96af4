/**
 * Mentions: "@username" in a message text, the one rule the browser (highlighting,
 * notifications: src/lib/client/mentions.ts) and the server's summaries (mention counts:
 * sync-server/summary-feed.ts) both apply.
 */

// "@" at the start or after a character that cannot end a username or an e-mail's local part.
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]+)/g;

export interface MentionMatch {
	/** Index of the "@". */
	readonly start: number;
	/** "@" and the username as written. */
	readonly text: string;
	/** The known username it names, as the member list spells it. */
	readonly username: string;
}

/**
 * The mentions of known usernames in `text` (case-insensitive). A trailing dot is taken as
 * punctuation ("thanks @bob.") unless the username itself ends with one.
 */
export function findMentions(text: string, usernames: Iterable<string>): MentionMatch[] {
	const known = new Map<string, string>();
	for (const name of usernames) known.set(name.toLowerCase(), name);
	const found: MentionMatch[] = [];
	for (const match of text.matchAll(MENTION)) {
		const lead = match[1] ?? '';
		let written = match[2] ?? '';
		let username = known.get(written.toLowerCase());
		while (username === undefined && written.endsWith('.')) {
			written = written.slice(0, -1);
			username = known.get(written.toLowerCase());
		}
		if (username === undefined) continue;
		found.push({ start: match.index + lead.length, text: `@${written}`, username });
	}
	return found;
}

/** Does `text` mention `username`? */
export function mentionsUser(text: string, username: string): boolean {
	return findMentions(text, [username]).length > 0;
}
