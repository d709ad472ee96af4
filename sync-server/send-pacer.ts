/**
 * Big answers spread over turns of the event loop. A fresh client of a room with a full head is
 * sent the whole state (~680 KB for 5,000 messages); a thousand of them at once (a join storm,
 * or every tab reconnecting after a deploy) used to be written in one go: ~2 s of socket writes
 * during which every other room's messages waited for their commit and forward (bench `join`:
 * other rooms' p99 1–2 s). The pacer runs such answers in order, at most `bytesPerTurn` per
 * turn, each turn in a `setImmediate`: the commit log's group commit (also a `setImmediate`)
 * and the sockets' reads go in between. Small answers do not come here (no added latency).
 */

/** What one turn may write, in bytes: ~3 answers of 680 KB, a few ms of socket writes. */
export const PACED_BYTES_PER_TURN = 2 * 1024 * 1024;
/** Answers at least this big are paced; smaller ones are sent at once. */
export const PACE_ABOVE_BYTES = 64 * 1024;

export class SendPacer {
	readonly #bytesPerTurn: number;
	readonly #queue: { readonly send: () => void; readonly bytes: number }[] = [];
	#scheduled = false;
	/** Called when a send throws (the others still run). */
	readonly #onError: (error: unknown) => void;

	constructor(options: { bytesPerTurn?: number; onError: (error: unknown) => void }) {
		this.#bytesPerTurn = options.bytesPerTurn ?? PACED_BYTES_PER_TURN;
		this.#onError = options.onError;
	}

	/** How many sends wait for a turn. */
	get waiting(): number {
		return this.#queue.length;
	}

	/** Runs `send` (about `bytes` long) in a later turn, after those queued before it. */
	enqueue(send: () => void, bytes: number): void {
		this.#queue.push({ send, bytes });
		if (this.#scheduled) return;
		this.#scheduled = true;
		setImmediate(() => this.#turn());
	}

	#turn(): void {
		this.#scheduled = false;
		let spent = 0;
		while (spent < this.#bytesPerTurn) {
			const next = this.#queue.shift();
			if (!next) return;
			spent += next.bytes;
			try {
				next.send();
			} catch (error) {
				this.#onError(error);
			}
		}
		if (this.#queue.length > 0) {
			this.#scheduled = true;
			setImmediate(() => this.#turn());
		}
	}
}
