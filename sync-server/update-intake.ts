/**
 * The order in which a room's updates reach its gate. An update is gated at once, unless it
 * must wait: the gate asked storage for something it did not know (an upload, a sealed
 * author), or the head is being sealed. Then it and every later update of the room wait, in
 * arrival order, and are gated again once storage answered (or the seal ended).
 */
import { CloseCode } from '../src/lib/protocol/wire';
import type { Logger } from './logger';

/** The sender of an update, as the intake sees it. */
export interface IntakeSender {
	readonly closed: boolean;
	close(code: number, reason: string): void;
}

export interface IntakeOptions<C extends IntakeSender> {
	/** Gates and acts on one update; false (nothing done) when the gate missed a lookup. */
	gate(sender: C, update: Uint8Array): boolean;
	/** Fetches what the last gate run missed. */
	fetchMissed(): Promise<void>;
	/** Whether updates must wait now whatever they hold (a seal is being written). */
	paused(): boolean;
	/** Nothing waits any more. */
	drained(): void;
	readonly log: Logger;
	readonly roomId: string;
}

interface Held<C> {
	readonly sender: C;
	readonly update: Uint8Array;
}

export class UpdateIntake<C extends IntakeSender> {
	readonly #options: IntakeOptions<C>;
	#held: Held<C>[] = [];
	#lookingUp = false;

	constructor(options: IntakeOptions<C>) {
		this.#options = options;
	}

	/** Updates waiting. */
	get size(): number {
		return this.#held.length;
	}

	accept(sender: C, update: Uint8Array): void {
		if (this.#held.length > 0 || this.#options.paused()) {
			this.#held.push({ sender, update });
			return;
		}
		if (this.#options.gate(sender, update)) return;
		this.#held.push({ sender, update });
		this.#lookUp();
	}

	/** Gates what waits, in order, until one waits for storage again (or a seal starts). */
	release(): void {
		while (this.#held.length > 0 && !this.#options.paused()) {
			const next = this.#held[0] as Held<C>;
			if (!next.sender.closed && !this.#options.gate(next.sender, next.update)) {
				return this.#lookUp();
			}
			this.#held.shift();
		}
		if (this.#held.length === 0) this.#options.drained();
	}

	/** Drops what waits (the room is gone). */
	clear(): void {
		this.#held = [];
	}

	#lookUp(): void {
		if (this.#lookingUp) return;
		this.#lookingUp = true;
		this.#options.fetchMissed().then(
			() => {
				this.#lookingUp = false;
				this.release();
			},
			(error: unknown) => {
				this.#lookingUp = false;
				this.#options.log.error({ err: error, roomId: this.#options.roomId }, 'gate lookup failed');
				// Nothing of them was applied: their senders re-send on reconnect.
				const senders = new Set(this.#held.map((held) => held.sender));
				this.#held = [];
				for (const sender of senders) sender.close(CloseCode.INTERNAL_ERROR, 'internal error');
				this.#options.drained();
			}
		);
	}
}
