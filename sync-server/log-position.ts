/**
 * Where a room's doc is in the room log: the highest seq it includes (its one owner), and how
 * it moves — by this instance's commits, by updates other instances committed (the bus, in seq
 * order), and by reading the log back when the bus shows a gap or asks for a resync. Told,
 * never calls back up: what it reads it hands to `apply`; a newer epoch to `epochChanged`.
 */
import type { Logger } from './logger';
import type { RoomLogPort } from './room-log';

export interface LogPositionOptions {
	readonly roomId: string;
	/** The head's epoch: a log read of another epoch is another head's, never applied here. */
	readonly epoch: number;
	/** The seq the doc included when it was loaded. */
	readonly loadedSeq: number;
	readonly roomLog: Pick<RoomLogPort, 'readSince'>;
	/** Applies a committed update from elsewhere (origin 'bus' or 'store'). */
	apply(data: Uint8Array, origin: 'bus' | 'store'): void;
	/** The log belongs to a newer epoch: this head is over. */
	epochChanged(): void;
	/** Whether the room is gone (nothing more is applied). */
	gone(): boolean;
	/** First wait before a failed read of the log is tried again (doubling to 10 s); default 500 ms. */
	readonly retryFirstMs?: number;
	readonly log: Logger;
}

const CATCH_UP_RETRY_FIRST_MS = 500;
const CATCH_UP_RETRY_MAX_MS = 10_000;

export class LogPosition {
	readonly #options: LogPositionOptions;
	#lastSeq: number;
	#catchingUp: Promise<void> | null = null;
	#catchUpAgain = false;
	/** A failed read is tried again later: nothing else may show this room a gap again (the
	 * gap's own message came already, and a resync only comes with a reconnection). */
	#retry: ReturnType<typeof setTimeout> | null = null;
	#failures = 0;

	constructor(options: LogPositionOptions) {
		this.#options = options;
		this.#lastSeq = options.loadedSeq;
	}

	/** The highest seq of the room's log that the doc includes. */
	get lastSeq(): number {
		return this.#lastSeq;
	}

	/** This instance committed an update at `seq`; false when others committed before it unseen (a gap: catch up). */
	committed(seq: number): boolean {
		if (seq === this.#lastSeq + 1) this.#lastSeq = seq;
		return seq <= this.#lastSeq + 1;
	}

	/**
	 * Another instance committed `data` at `seq`: applied in order, skipped if the doc has it, a
	 * catch-up if some came before it unseen. Returns whether it was applied.
	 */
	fromBus(seq: number, data: Uint8Array): boolean {
		if (this.#options.gone() || seq <= this.#lastSeq) return false;
		if (seq > this.#lastSeq + 1) {
			void this.catchUp();
			return false;
		}
		this.#options.apply(data, 'bus');
		this.#lastSeq = seq;
		return true;
	}

	/** Reads what the doc lacks from the room log; several calls meanwhile share one more read. */
	catchUp(): Promise<void> {
		if (this.#catchingUp) {
			this.#catchUpAgain = true;
			return this.#catchingUp;
		}
		this.#catchingUp = (async () => {
			do {
				this.#catchUpAgain = false;
				await this.#catchUpOnce();
			} while (this.#catchUpAgain && !this.#options.gone());
		})().finally(() => (this.#catchingUp = null));
		return this.#catchingUp;
	}

	#retryLater(): void {
		if (this.#retry || this.#options.gone()) return;
		const first = this.#options.retryFirstMs ?? CATCH_UP_RETRY_FIRST_MS;
		const delay = Math.min(first * 2 ** this.#failures++, CATCH_UP_RETRY_MAX_MS);
		this.#retry = setTimeout(() => {
			this.#retry = null;
			void this.catchUp();
		}, delay);
		this.#retry.unref();
	}

	async #catchUpOnce(): Promise<void> {
		const { roomId, epoch, roomLog, log } = this.#options;
		if (this.#options.gone()) return;
		let read;
		try {
			read = await roomLog.readSince(roomId, this.#lastSeq);
		} catch (error) {
			log.error({ err: error, roomId }, 'catch-up read failed');
			this.#retryLater();
			return;
		}
		this.#failures = 0;
		if (this.#options.gone()) return;
		// Sealed elsewhere: what follows is another head's, never to be mixed into this one.
		if (read.epoch !== epoch) return this.#options.epochChanged();
		// Every entry is past the seq asked for (a snapshot is labelled with its upto_seq); the
		// bus may have brought some of them meanwhile.
		for (const entry of read.updates) {
			if (entry.seq <= this.#lastSeq) continue;
			this.#options.apply(entry.data, 'store');
			this.#lastSeq = entry.seq;
		}
	}
}
