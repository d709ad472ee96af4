/**
 * A room's alerts: system notifications for others' new messages while the tab is hidden, as
 * the room's notification level says (kept by the server, `level`), the browser's permission,
 * and the unread count on the app badge. The decisions are in notifications.ts.
 */
import type { NotificationLevel } from '$lib/protocol/summaries';
import { notificationFor, setBadge } from './notifications';

export type NotificationAccess = NotificationPermission | 'unsupported';

interface Incoming {
	readonly id: string;
	readonly author: string;
	readonly text: string;
	readonly deleted: boolean;
	/** A placeholder for a value without the message schema: never notified. */
	readonly unreadable?: boolean;
}

export interface RoomAlertsOptions {
	readonly userId: string;
	readonly username: string;
	readonly roomId: string;
	/** The room's name as the viewer sees it now (a DM's after the others' display names). */
	roomName(): string;
	nameOf(userId: string): string;
	/** The room's notification level now (the summary channel's, or 'all' before it is known). */
	level(): NotificationLevel;
	/** Brings the message into view when its notification is clicked. */
	show(messageId: string): void;
}

/** The browser's notification permission now. */
export function notificationAccess(): NotificationAccess {
	return 'Notification' in window ? Notification.permission : 'unsupported';
}

/** Asks the browser, from a click (never on load: browsers and people dislike that). */
export async function requestNotificationAccess(): Promise<NotificationAccess> {
	if (!('Notification' in window)) return 'unsupported';
	return await Notification.requestPermission();
}

export class RoomAlerts {
	readonly #options: RoomAlertsOptions;
	/** Messages already known; null until the first sync gives the starting point. */
	#seen: Set<string> | null = null;

	constructor(options: RoomAlertsOptions) {
		this.#options = options;
	}

	/**
	 * Looks at the room's messages after a change: the first call (after the first sync) only
	 * records what is there; later ones notify about messages not seen before.
	 */
	observe(messages: readonly Incoming[]): void {
		if (this.#seen === null) {
			// Bookkeeping, not state the UI reads: a plain Set on purpose.
			// eslint-disable-next-line svelte/prefer-svelte-reactivity
			this.#seen = new Set(messages.map((message) => message.id));
			return;
		}
		for (const message of messages) {
			if (this.#seen.has(message.id)) continue;
			this.#seen.add(message.id);
			const shown = notificationFor(message, {
				hidden: document.visibilityState === 'hidden',
				level: this.#options.level(),
				permitted: 'Notification' in window && Notification.permission === 'granted',
				selfId: this.#options.userId,
				selfName: this.#options.username,
				roomName: this.#options.roomName(),
				nameOf: this.#options.nameOf
			});
			if (shown) this.#notify(message.id, shown);
		}
	}

	/** The unread count on the installed app's icon, where the browser supports it. */
	setBadge(unread: number): void {
		setBadge(unread);
	}

	#notify(messageId: string, shown: { readonly title: string; readonly body: string }): void {
		try {
			const notification = new Notification(shown.title, { body: shown.body, tag: messageId });
			notification.onclick = () => {
				window.focus();
				this.#options.show(messageId);
				notification.close();
			};
		} catch {
			// Some browsers only allow notifications from a service worker; nothing to show then.
		}
	}
}
