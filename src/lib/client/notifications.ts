/**
 * When to notify and what the tab shows while messages wait: pure decisions; the page does the
 * Notification, title and badge calls.
 */
import type { NotificationLevel } from '$lib/protocol/summaries';
import { mentionsUser } from './mentions';
import { excerpt } from './replies';

export interface NotifyInput {
	/** document.visibilityState === 'hidden' */
	readonly hidden: boolean;
	/** The user's level for this room (docs/design.md "Notification levels"). */
	readonly level: NotificationLevel;
	/** The message mentions the user. */
	readonly mentioned: boolean;
	/** The user wrote it (another tab or device). */
	readonly own: boolean;
	/** Notification.permission === 'granted' */
	readonly permitted: boolean;
}

/** Others' new messages in a hidden tab, as the room's level says. */
export function shouldNotify(input: NotifyInput): boolean {
	if (!input.permitted || input.own || !input.hidden) return false;
	if (input.level === 'nothing') return false;
	return input.level === 'all' || input.mentioned;
}

/** "(3) General · Parley" while 3 messages are unread; the plain title otherwise. */
export function titleWithUnread(title: string, unread: number): string {
	return unread > 0 ? `(${unread}) ${title}` : title;
}

export interface NotifyContext {
	readonly hidden: boolean;
	readonly level: NotificationLevel;
	readonly permitted: boolean;
	readonly selfId: string;
	readonly selfName: string;
	readonly roomName: string;
	nameOf(userId: string): string;
}

/** The system notification a newly arrived message raises, or null when it raises none. */
export function notificationFor(
	message: {
		readonly author: string;
		readonly text: string;
		readonly deleted: boolean;
		/** A placeholder (message-views.ts) has nothing to tell: no notification. */
		readonly unreadable?: boolean;
	},
	context: NotifyContext
): { readonly title: string; readonly body: string } | null {
	if (message.deleted || message.unreadable === true) return null;
	const mentioned = mentionsUser(message.text, context.selfName);
	const notify = shouldNotify({
		hidden: context.hidden,
		level: context.level,
		mentioned,
		own: message.author === context.selfId,
		permitted: context.permitted
	});
	if (!notify) return null;
	const author = context.nameOf(message.author);
	return {
		title: mentioned
			? `${author} mentioned you in ${context.roomName}`
			: `${author} in ${context.roomName}`,
		body: excerpt(message.text)
	};
}

/** The unread count on the installed app's icon, where the browser supports it. */
export function setBadge(unread: number): void {
	if (!('setAppBadge' in navigator)) return;
	const done = unread > 0 ? navigator.setAppBadge(unread) : navigator.clearAppBadge();
	done.catch(() => {
		// Not installed or not allowed: the title still shows the count.
	});
}

/** How each notification level is named in the UI (room header, Settings). */
export const LEVEL_LABELS: Readonly<Record<NotificationLevel, string>> = {
	all: 'All messages',
	mentions: 'Mentions only',
	nothing: 'Nothing'
};
