/**
 * This user's presence in one room: the awareness state the provider shares (who is here, who
 * is typing) and the peers it hears of. presence.ts parses what others send.
 */
import type * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { peersOf, TYPING_IDLE_MS, type Peer } from './presence';

export class PresenceChannel {
	/** Who has the room open now (this user included), with whether they are typing. */
	peers: readonly Peer[] = $state.raw([]);
	/** Handed to the provider, which sends it and receives the others'. */
	readonly awareness: Awareness;
	#typingTimer: ReturnType<typeof setTimeout> | null = null;
	readonly #onChange = (): void => {
		this.peers = peersOf(this.awareness.getStates().values());
	};

	constructor(doc: Y.Doc, user: { readonly id: string; readonly name: string }) {
		this.awareness = new Awareness(doc);
		this.awareness.on('change', this.#onChange);
		// The server replaces `user` with the session's; ours is there so we list ourselves at once.
		this.awareness.setLocalState({ user: { id: user.id, name: user.name }, typing: false });
		this.#onChange();
	}

	/** Tells the others the user is typing; it lapses after TYPING_IDLE_MS without a keystroke. */
	setTyping(typing: boolean): void {
		if (this.#typingTimer !== null) clearTimeout(this.#typingTimer);
		this.#typingTimer = null;
		if (typing) this.#typingTimer = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
		const state = this.awareness.getLocalState() as { typing?: unknown } | null;
		if ((state?.typing === true) !== typing) this.awareness.setLocalStateField('typing', typing);
	}

	destroy(): void {
		if (this.#typingTimer !== null) clearTimeout(this.#typingTimer);
		this.awareness.off('change', this.#onChange);
		this.awareness.destroy();
	}
}
