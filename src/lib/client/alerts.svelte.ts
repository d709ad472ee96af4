/**
 * A room's alerts: system notifications for others' new messages while the tab is hidden
 * (a mention gets through the room's mute), the per-room mute switch kept in localStorage,
 * and the unread count on the app badge. The decisions are in notifications.ts.
 */
import { muteStorageKey, notificationFor, setBadge } from './notifications';

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
	readonly roomName: string;
	nameOf(userId: string): string;
	/** Brings the message into view when its notification is clicked. */
	show(messageId: string): void;
}

export class RoomAlerts {
	muted = $state(false);
	permission: NotificationAccess = $state('unsupported');
	readonly #options: RoomAlertsOptions;
	readonly #muteKey: string;
	/** Messages already known; null until the first sync gives the starting point. */
	#seen: Set<string> | null = null;

	constructor(options: RoomAlertsOptions) {
		this.#options = options;
		this.#muteKey = muteStorageKey(options.userId, options.roomId);
		this.muted = localStorage.getItem(this.#muteKey) === '1';
		if ('Notification' in window) this.permission = Notification.permission;
	}

	toggleMute(): void {
		this.muted = !this.muted;
		if (this.muted) localStorage.setItem(this.#muteKey, '1');
		else localStorage.removeItem(this.#muteKey);
	}

	/** Asks the browser, from a click (never on load: browsers and people dislike that). */
	async requestPermission(): Promise<void> {
		if (!('Notification' in window)) return;
		this.permission = await Notification.requestPermission();
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
				muted: this.muted,
				permitted: 'Notification' in window && Notification.permission === 'granted',
				selfId: this.#options.userId,
				selfName: this.#options.username,
				roomName: this.#options.roomName,
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
