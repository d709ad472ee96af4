/**
 * Work spread over turns of the event loop, so that a burst of it cannot hold every other room's
 * messages back. Jobs run in order, at most `budgetPerTurn` (in the caller's unit of cost) per
 * turn, each turn in a `setImmediate`: the commit log's group commit (also a `setImmediate`) and
 * the sockets' reads go in between. Two uses:
 *
 * - Big answers (the rooms' `pacer`, cost in bytes). A fresh client of a room with a full head
 *   is sent the whole state (~680 KB for 5,000 messages); a thousand of them at once (a join
 *   storm, or every tab reconnecting after a deploy) used to be written in one go: ~2 s of socket
 *   writes during which every other room's messages waited for their commit and forward (bench
 *   `join`: other rooms' p99 1–2 s). Small answers do not come here (no added latency).
 * - Upgrades (`upgrade.ts`, `summary-upgrade.ts`, cost 1 each). A thousand upgrades that arrive
 *   together are all read in one poll phase of the loop; checked and attached there (session,
 *   membership, the room's first frames: ~0.4 ms each), they held the group commit, a
 *   `setImmediate`, back until the last one was done (bench `join`: other rooms' p99 ~400 ms).
 */

/** What one turn may write, in bytes: ~3 answers of 680 KB, a few ms of socket writes. */
export const PACED_BYTES_PER_TURN = 2 * 1024 * 1024;
/** Answers at least this big are paced; smaller ones are sent at once. */
export const PACE_ABOVE_BYTES = 64 * 1024;
/**
 * Upgrades checked per turn: ~2 ms of work. Bench `join`, other rooms' p99 over 3 runs each: 2:
 * 52–103 ms, 4: 66–92 ms, 8: 60–147 ms, 16: 104–143 ms, unpaced: 331–415 ms; the joiners were
 * synced as fast at every setting.
 */
export const UPGRADES_PER_TURN = 4;

export class TurnPacer {
	readonly #budgetPerTurn: number;
	readonly #queue: { readonly run: () => void; readonly cost: number }[] = [];
	#scheduled = false;
	/** Called when a job throws (the others still run). */
	readonly #onError: (error: unknown) => void;
	/** Told how many jobs wait, after each enqueue and each turn (a metric). */
	readonly #onWaiting: ((waiting: number) => void) | undefined;

	constructor(options: {
		budgetPerTurn: number;
		onError: (error: unknown) => void;
		onWaiting?: (waiting: number) => void;
	}) {
		this.#budgetPerTurn = options.budgetPerTurn;
		this.#onError = options.onError;
		this.#onWaiting = options.onWaiting;
	}

	/** How many jobs wait for a turn. */
	get waiting(): number {
		return this.#queue.length;
	}

	/** Runs `run` (costing about `cost`) in a later turn, after the jobs queued before it. */
	enqueue(run: () => void, cost: number): void {
		this.#queue.push({ run, cost });
		this.#onWaiting?.(this.#queue.length);
		if (this.#scheduled) return;
		this.#scheduled = true;
		setImmediate(() => this.#turn());
	}

	#turn(): void {
		this.#scheduled = false;
		let spent = 0;
		while (spent < this.#budgetPerTurn && this.#queue.length > 0) {
			const next = this.#queue.shift();
			if (!next) break;
			spent += next.cost;
			try {
				next.run();
			} catch (error) {
				this.#onError(error);
			}
		}
		this.#onWaiting?.(this.#queue.length);
		if (this.#queue.length > 0) {
			this.#scheduled = true;
			setImmediate(() => this.#turn());
		}
	}
}
