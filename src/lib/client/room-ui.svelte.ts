/**
 * What the room page shares with every message it renders (through Svelte context, so
 * MessageLog passes messages on without knowing about edits, reactions or replies): who the
 * viewer is, names, and the actions on a message.
 */
import { getContext, setContext } from 'svelte';
import type { ChatMessage, MessageChange } from './messages';
import type { MessageView, SendResult } from './room.svelte';
import type { Authenticity } from './signature-check';

/** How long a message jumped to from a reply stays highlighted, in ms. */
export const HIGHLIGHT_MS = 2_000;

export interface RoomUiActions {
	readonly selfId: string;
	readonly selfName: string;
	nameOf(userId: string): string;
	/** The person's picture version (Avatar.svelte), or null: their initials. */
	avatarOf(userId: string): string | null;
	/** Every known member's username, for highlighting mentions. */
	usernames(): readonly string[];
	edit(messageId: string, text: string): SendResult;
	remove(messageId: string): void;
	toggleReaction(messageId: string, emoji: string): void;
	/** Whether a message and its latest edit are signed by their author (signature-check.ts). */
	authenticityOf(original: ChatMessage, change: MessageChange | null): Promise<Authenticity>;
	/** `authenticityOf`'s answer when known without waiting (unsigned, or checked before), else null. */
	settledAuthenticity(original: ChatMessage, change: MessageChange | null): Authenticity | null;
}

export class RoomUi {
	/** The message the composer answers, if any. */
	replyingTo: MessageView | null = $state(null);
	/** The message briefly highlighted after a jump from a reply. */
	highlighted: string | null = $state(null);
	/** A message whose editor should open (Up-arrow in an empty composer); its item takes it. */
	editRequest: string | null = $state(null);
	/** The own message whose "Message info" is open, if any. */
	infoFor: MessageView | null = $state(null);
	readonly actions: RoomUiActions;
	#highlightTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(actions: RoomUiActions) {
		this.actions = actions;
	}

	reply(message: MessageView): void {
		this.replyingTo = message;
	}

	cancelReply(): void {
		this.replyingTo = null;
	}

	/** Asks the message's item to open its editor (it clears the request when it does). */
	requestEdit(messageId: string): void {
		this.editRequest = messageId;
	}

	showInfo(message: MessageView): void {
		this.infoFor = message;
	}

	closeInfo(): void {
		this.infoFor = null;
	}

	/**
	 * Scrolls to a message and highlights it for a moment. The hash goes through MessageLog,
	 * which brings a message outside its rendered window back first.
	 */
	jumpTo(messageId: string): void {
		const hash = `#message-${messageId}`;
		if (location.hash === hash) {
			// Setting the same hash fires no event; the message may be outside the log's window.
			window.dispatchEvent(new HashChangeEvent('hashchange'));
		} else {
			location.hash = hash;
		}
		this.highlighted = messageId;
		if (this.#highlightTimer !== null) clearTimeout(this.#highlightTimer);
		this.#highlightTimer = setTimeout(() => {
			this.#highlightTimer = null;
			this.highlighted = null;
		}, HIGHLIGHT_MS);
	}

	destroy(): void {
		if (this.#highlightTimer !== null) clearTimeout(this.#highlightTimer);
	}
}

const KEY = Symbol('parley:room-ui');

export function setRoomUi(ui: RoomUi): void {
	setContext(KEY, ui);
}

/** The room page's RoomUi, or undefined where a message is shown outside a room page. */
export function getRoomUi(): RoomUi | undefined {
	return getContext<RoomUi | undefined>(KEY);
}
