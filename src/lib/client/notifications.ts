/**
 * When to notify and what the tab shows while messages wait: pure decisions; the page does the
 * Notification, title and badge calls.
 */

export interface NotifyInput {
	/** document.visibilityState === 'hidden' */
	readonly hidden: boolean;
	/** The user muted this room here. */
	readonly muted: boolean;
	/** The message mentions the user. */
	readonly mentioned: boolean;
	/** The user wrote it (another tab or device). */
	readonly own: boolean;
	/** Notification.permission === 'granted' */
	readonly permitted: boolean;
}

/** Others' new messages in a hidden tab; a mention gets through a mute. */
export function shouldNotify(input: NotifyInput): boolean {
	if (!input.permitted || input.own || !input.hidden) return false;
	return !input.muted || input.mentioned;
}

/** "(3) General · Parley" while 3 messages are unread; the plain title otherwise. */
export function titleWithUnread(title: string, unread: number): string {
	return unread > 0 ? `(${unread}) ${title}` : title;
}

/** Where the mute switch of a room is kept in localStorage, per user (several may sign in). */
export function muteStorageKey(userId: string, roomId: string): string {
	return `parley:mute:${userId}:${roomId}`;
}
