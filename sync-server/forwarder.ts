/**
 * Forwarding of a room's durable updates to its sockets, with the merge-under-load policy:
 * each forward is ONE frame built once and written as the same bytes to every socket.
 * Transport-free: recipients are anything that takes a shared frame.
 */
import * as Y from 'yjs';
import { encodeUpdate } from './protocol';
import { SharedFrame } from './shared-frame';

/**
 * Forwarding to one room's sockets costs about one socket write per connection (~3–9 µs each,
 * mostly the kernel's). When forwarding every commit at once would take more than MERGE_ABOVE
 * of the time (smoothed forward cost / smoothed time between the room's commits), the room
 * merges: the next forward waits until cost / FORWARD_DUTY after the previous one began, and
 * everything committed meanwhile goes out as one frame. A room below it forwards each commit at
 * once (no added latency); a room that would saturate the process (1,000 sockets at 400
 * msgs/s) sends several messages per frame instead of falling behind. Design: "Sync server".
 */
export const MERGE_ABOVE = 0.7;
export const FORWARD_DUTY = 0.55;
/** Weight of the newest sample in the smoothed forward cost and commit interval: a short burst
 * in a moderately busy room must not start merging (and delaying) on its own. */
const FORWARD_EWMA = 0.1;

/** Who receives forwarded frames. */
export interface Recipient {
	send(frame: SharedFrame): void;
}

/** A durable update to forward, and who sent it (it does not get its own lone update back). */
export interface Outgoing<R extends Recipient> {
	readonly data: Uint8Array;
	readonly sender: R | null;
}

export class Forwarder<R extends Recipient> {
	readonly #recipients: () => Iterable<R>;
	/** Durable updates not forwarded yet: this commit's, or several while forwarding waits. */
	#outbox: Outgoing<R>[] = [];
	/** Smoothed cost of one forward and time between commits of this room, in ms (FORWARD_DUTY). */
	#forwardCostMs = 0;
	#commitGapMs = Number.POSITIVE_INFINITY;
	#lastCommitAt = Number.NEGATIVE_INFINITY;
	#lastForwardAt = Number.NEGATIVE_INFINITY;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#stopped = false;

	readonly #now: () => number;

	/**
	 * @param recipients the room's sockets at the moment of a forward
	 * @param now the clock forwards and commits are timed by, in ms (a test's own)
	 */
	constructor(recipients: () => Iterable<R>, now: () => number = () => performance.now()) {
		this.#recipients = recipients;
		this.#now = now;
	}

	/** Updates of one commit: forwarded now, or when FORWARD_DUTY allows (merged with later ones). */
	commit(updates: readonly Outgoing<R>[]): void {
		this.push(updates);
		this.schedule();
	}

	/** Adds durable updates to the outbox, to go with the next forward. */
	push(updates: readonly Outgoing<R>[]): void {
		if (!this.#stopped) this.#outbox.push(...updates);
	}

	/** A commit ended: forward the outbox now, or when FORWARD_DUTY allows. */
	schedule(): void {
		if (this.#stopped || this.#outbox.length === 0) return;
		const now = this.#now();
		if (Number.isFinite(this.#lastCommitAt)) {
			const gap = now - this.#lastCommitAt;
			this.#commitGapMs = Number.isFinite(this.#commitGapMs)
				? this.#commitGapMs + FORWARD_EWMA * (gap - this.#commitGapMs)
				: gap;
		}
		this.#lastCommitAt = now;
		if (this.#timer !== undefined) return;
		const saturating = this.#forwardCostMs > MERGE_ABOVE * this.#commitGapMs;
		const wait = saturating ? this.#lastForwardAt + this.#forwardCostMs / FORWARD_DUTY - now : 0;
		if (wait <= 0) return this.flush();
		this.#timer = setTimeout(() => this.flush(), Math.ceil(wait));
	}

	/**
	 * Forwards the outbox now: ONE frame for all of it (the busier the room, the more updates it
	 * holds, so the cost per delivered message falls under load). A lone sender's updates go to
	 * everyone but that sender, as is (or merged); several senders' are merged with
	 * Y.mergeUpdates (one valid sync message: y-websocket reads one message per frame) and go to
	 * everyone — a sender's own changes coming back are a no-op for Yjs.
	 */
	flush(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		const outbox = this.#outbox;
		if (outbox.length === 0 || this.#stopped) return;
		this.#outbox = [];
		const started = this.#now();
		const first = outbox[0] as Outgoing<R>;
		const single = outbox.every((update) => update.sender === first.sender);
		const data =
			outbox.length === 1 ? first.data : Y.mergeUpdates(outbox.map((update) => update.data));
		const frame = new SharedFrame(encodeUpdate(data));
		for (const recipient of this.#recipients()) {
			if (!single || first.sender === null || recipient !== first.sender) recipient.send(frame);
		}
		const cost = this.#now() - started;
		this.#forwardCostMs =
			this.#forwardCostMs === 0
				? cost
				: this.#forwardCostMs + FORWARD_EWMA * (cost - this.#forwardCostMs);
		this.#lastForwardAt = started;
	}

	/** Sends an update from elsewhere (the bus, a catch-up) to every recipient at once. */
	broadcast(data: Uint8Array): void {
		if (this.#stopped) return;
		const frame = new SharedFrame(encodeUpdate(data));
		for (const recipient of this.#recipients()) recipient.send(frame);
	}

	/** Forwards nothing more (the room is gone); what waits is dropped. */
	stop(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#outbox = [];
		this.#stopped = true;
	}
}
