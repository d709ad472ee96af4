/**
 * Gate rule 6 for one connection: the user's byte budget (frames wait, in order, while it is
 * overdrawn, and the socket is not read), the token buckets of updates and awareness states,
 * and the pacing of sync step 1 answers. Transport-free: it pauses and resumes through a port.
 */
import {
	CONNECTION_COST_BYTES,
	FRAME_COST_BYTES,
	type UserBudget,
	type UserBudgets
} from './user-budget';

/**
 * While its user is over budget a connection's frames wait (and its socket is not read). What
 * already arrived waits here; past these bounds the connection is closed with RATE_LIMITED.
 */
export const MAX_DEFERRED_FRAMES = 256;
export const MAX_DEFERRED_BYTES = 1024 * 1024;

/**
 * Gate rule 6, per connection: called once per connection, returns the function asked before
 * each incoming update whether one more may pass now (e.g. a token bucket's take()).
 */
export type UpdateAdmission = () => () => boolean;

export interface AdmissionRules {
	readonly admitUpdate: UpdateAdmission;
	/** Rule 6 for awareness: may a connection publish one more state now? Absent: always. */
	readonly admitAwareness?: UpdateAdmission;
	/** Rule 6, the per-user budget every frame draws from; absent (unit tests): none. */
	readonly budgets?: UserBudgets;
	/** Absent: no minimum between two sync step 1 answers. */
	readonly step1MinIntervalMs?: number;
}

/** What admission does to its connection. */
export interface AdmissionPort {
	/** Handles one admitted frame now. */
	handle(frame: Uint8Array): void;
	/** Too much waits: the connection closes with RATE_LIMITED. */
	overflow(): void;
	pause(): void;
	resume(): void;
	isClosed(): boolean;
}

export class Admission {
	readonly mayUpdate: () => boolean;
	readonly mayPublishAwareness: () => boolean;
	readonly #budget: UserBudget | undefined;
	readonly #step1MinIntervalMs: number;
	readonly #port: AdmissionPort;
	/** Frames that arrived while the user was over budget, in order. */
	#deferred: Uint8Array[] = [];
	#deferredBytes = 0;
	#drainTimer: ReturnType<typeof setTimeout> | undefined;
	#lastStep1At = Number.NEGATIVE_INFINITY;

	constructor(rules: AdmissionRules, userId: string, port: AdmissionPort) {
		this.mayUpdate = rules.admitUpdate();
		this.mayPublishAwareness = rules.admitAwareness?.() ?? (() => true);
		this.#budget = rules.budgets?.acquire(userId);
		this.#step1MinIntervalMs = rules.step1MinIntervalMs ?? 0;
		this.#port = port;
		// Opening a socket costs a session check, a room attach and the opening frames: a
		// flooder closed with 4429 pays for reconnecting.
		this.#budget?.charge(CONNECTION_COST_BYTES);
	}

	/** Handles the frame now, or queues it while the user is over budget. */
	receive(frame: Uint8Array): void {
		if (this.#deferred.length > 0 || this.#budget?.overdrawn) return this.#defer(frame);
		this.#handle(frame);
	}

	/** Draws from the user's budget what the connection costs beyond its frames' bytes. */
	charge(bytes: number): void {
		this.#budget?.charge(bytes);
	}

	/** Rule 6: whether a step 1 may be answered now (one per SYNC_STEP1_MIN_INTERVAL_MS). */
	mayAnswerStep1(): boolean {
		return performance.now() - this.#lastStep1At >= this.#step1MinIntervalMs;
	}

	step1Answered(): void {
		this.#lastStep1At = performance.now();
	}

	/** The connection closed: nothing more is handled, the budget is released. */
	release(): void {
		clearTimeout(this.#drainTimer);
		this.#deferred = [];
		this.#budget?.release();
	}

	#handle(frame: Uint8Array): void {
		this.#budget?.charge(frame.byteLength + FRAME_COST_BYTES);
		this.#port.handle(frame);
	}

	#defer(frame: Uint8Array): void {
		if (
			this.#deferred.length >= MAX_DEFERRED_FRAMES ||
			this.#deferredBytes + frame.byteLength > MAX_DEFERRED_BYTES
		) {
			return this.#port.overflow();
		}
		this.#deferred.push(frame);
		this.#deferredBytes += frame.byteLength;
		this.#port.pause();
		this.#scheduleDrain();
	}

	#scheduleDrain(): void {
		if (this.#drainTimer !== undefined || this.#port.isClosed()) return;
		const waitMs = Math.max(1, Math.ceil(this.#budget?.msUntilPaid() ?? 0));
		this.#drainTimer = setTimeout(() => {
			this.#drainTimer = undefined;
			this.#drain();
		}, waitMs);
	}

	/** Handles waiting frames while the budget allows; reads the socket again once none wait. */
	#drain(): void {
		while (!this.#port.isClosed() && this.#deferred.length > 0 && !this.#budget?.overdrawn) {
			const frame = this.#deferred.shift() as Uint8Array;
			this.#deferredBytes -= frame.byteLength;
			this.#handle(frame);
		}
		if (this.#port.isClosed()) return;
		if (this.#deferred.length > 0) return this.#scheduleDrain();
		this.#port.resume();
	}
}
