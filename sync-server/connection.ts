/**
 * One socket of a room: decodes its frames (protocol.ts) and hands them to its room, sends what
 * the room gives it, counts refusals and closes. It knows its room only through `RoomPort`;
 * its closing reaches the room through the `closed` listener the room registered.
 */
import * as Y from 'yjs';
import {
	GateRule,
	refusal,
	refusalLabel,
	refusalText,
	type Refusal
} from '../src/lib/protocol/gate-rules';
import { CloseCode } from '../src/lib/protocol/wire';
import { Admission, type AdmissionRules } from './admission';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import {
	ProtocolError,
	dispatchMessage,
	encodePermissionDenied,
	encodeSyncStep1Of,
	encodeSyncStep2,
	type MessageHandler
} from './protocol';
import { PACE_ABOVE_BYTES, type TurnPacer } from './turn-pacer';
import { SharedFrame } from './shared-frame';
import type { SyncSocket } from './types';

/** Close a socket whose unsent data passes this, instead of buffering without bound. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Gate refusals a connection may collect before it is closed with FORBIDDEN. */
export const MAX_REFUSALS = 3;

export interface ConnectionUser {
	readonly userId: string;
	readonly username: string;
	/**
	 * Their display name ('' or absent: none), for the summaries' `authorName`; replaced on a
	 * profile change (RoomHub.profileChanged), so it stays current while the socket is open.
	 */
	readonly displayName?: string;
	/** The session the socket was opened with (absent in unit tests): logout closes it. */
	readonly sessionId?: string;
}

/** What a connection hands its frames to: its room. */
export interface RoomPort {
	readonly id: string;
	readonly doc: Y.Doc;
	acceptUpdate(connection: Connection, update: Uint8Array): void;
	acceptAwareness(connection: Connection, update: Uint8Array): void;
	/** All current awareness states as one frame, or null when there are none. */
	awarenessFrame(): Uint8Array | null;
	/** Sync step 2 with the whole doc (the answer to an empty state vector). */
	fullStateStep2(): Uint8Array;
	/** The doc's encoded state vector (`Y.encodeStateVector`). */
	stateVector(): Uint8Array;
	/** Runs `reply` once nothing of the room is uncommitted. */
	whenCommitted(reply: () => void): void;
}

export interface ConnectionOptions {
	readonly rules: AdmissionRules;
	readonly log: Logger;
	readonly metrics?: Pick<Metrics, 'updatesRefused'>;
	/** Told once, when the connection closes. */
	readonly closed: (connection: Connection) => void;
	/** Spreads big answers over turns (turn-pacer.ts); absent: every answer is sent at once. */
	readonly pacer?: TurnPacer;
}

function isEmptyVector(stateVector: Uint8Array): boolean {
	return Y.decodeStateVector(stateVector).size === 0;
}

export class Connection implements MessageHandler {
	#refusals = 0;
	#rateRefusals = 0;
	#closed = false;
	/** A resync step 1 is already on its way (several gaps in one turn share one). */
	#resyncRequested = false;
	readonly #admission: Admission;
	readonly #options: ConnectionOptions;
	/** The state vector of a step 1 whose answer waits for the commit. */
	#step1Pending: Uint8Array | null = null;
	/**
	 * The room's state vector (encoded: small) when this socket was last answered: it has been
	 * sent all of that, and every change since.
	 */
	#served: Uint8Array | null = null;

	constructor(
		readonly room: RoomPort,
		readonly socket: SyncSocket,
		/** Replaced (never mutated) when the user's display name changes. */
		public user: ConnectionUser,
		options: ConnectionOptions
	) {
		this.#options = options;
		this.#admission = new Admission(options.rules, user.userId, {
			handle: (frame) => this.#handle(frame),
			overflow: () => {
				options.metrics?.updatesRefused.inc({ rule: 'rule6' });
				this.close(CloseCode.RATE_LIMITED, 'over budget');
			},
			pause: () => socket.pause?.(),
			resume: () => socket.resume?.(),
			isClosed: () => this.#closed
		});
	}

	get closed(): boolean {
		return this.#closed;
	}

	/**
	 * Handles one frame; a bad frame closes this socket only. While the user is over budget the
	 * frame waits (paced, in order) and the socket is not read until the debt is paid.
	 */
	receive(frame: Uint8Array): void {
		if (!this.#closed) this.#admission.receive(frame);
	}

	/** Draws from the user's budget what this connection costs beyond its frames' bytes. */
	charge(bytes: number): void {
		this.#admission.charge(bytes);
	}

	#handle(frame: Uint8Array): void {
		try {
			dispatchMessage(frame, this);
		} catch (error) {
			if (error instanceof ProtocolError) {
				this.close(CloseCode.MALFORMED_MESSAGE, 'malformed message');
			} else {
				this.#options.log.error({ err: error, roomId: this.room.id }, 'frame handling failed');
				this.close(CloseCode.INTERNAL_ERROR, 'internal error');
			}
		}
	}

	/** A rule 6 refusal (nothing applied): the reason to the client, the third closes with 4429. */
	refuseRate(reason: string): void {
		this.#rateRefusals++;
		this.#options.metrics?.updatesRefused.inc({ rule: 'rule6' });
		this.send(encodePermissionDenied(refusalText(refusal(GateRule.LIMITS, reason))));
		if (this.#rateRefusals >= MAX_REFUSALS) this.close(CloseCode.RATE_LIMITED, 'rate limited');
	}

	/** Rule 6 for awareness: whether this connection may publish one more state now. */
	mayPublishAwareness(): boolean {
		return this.#admission.mayPublishAwareness();
	}

	send(frame: Uint8Array | SharedFrame): void {
		if (this.#closed) return;
		if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
			this.close(CloseCode.SLOW_CONSUMER, 'send buffer full');
			return;
		}
		try {
			if (!(frame instanceof SharedFrame)) this.socket.send(frame);
			else if (this.socket.sendShared) this.socket.sendShared(frame);
			else this.socket.send(frame.data);
		} catch (error) {
			this.#options.log.warn({ err: error, roomId: this.room.id }, 'send failed');
			this.close(CloseCode.INTERNAL_ERROR, 'send failed');
		}
	}

	close(code: number, reason: string): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#admission.release();
		try {
			// A flooder may have megabytes of tiny frames on the way: stop reading them at once.
			if (code === CloseCode.RATE_LIMITED && this.socket.abort) this.socket.abort(code, reason);
			else this.socket.close(code, reason);
		} catch {
			/* already closed */
		}
		this.#options.closed(this);
	}

	onSyncStep1(stateVector: Uint8Array): void {
		// Validate now (a bad vector is this socket's fault), answer once nothing is uncommitted.
		try {
			Y.decodeStateVector(stateVector);
		} catch (error) {
			// lib0 throws plain Errors on bad bytes: the client's fault, not an internal error.
			throw new ProtocolError(`malformed state vector: ${(error as Error).message}`);
		}
		// Several while an answer waits for the commit share it (the latest vector wins).
		if (this.#step1Pending !== null) {
			this.#step1Pending = stateVector;
			return;
		}
		// Rule 6: one answer per SYNC_STEP1_MIN_INTERVAL_MS (a stock client asks once per
		// connection, or once per `resyncInterval` if set, seconds apart).
		if (!this.#admission.mayAnswerStep1()) {
			return this.refuseRate('sync step 1 repeated too soon');
		}
		this.#step1Pending = stateVector;
		this.room.whenCommitted(() => {
			const answer = (): void => {
				const latest = this.#step1Pending ?? stateVector;
				this.#step1Pending = null;
				this.#admission.step1Answered();
				if (!this.#closed) this.#answerStep1(latest);
			};
			// The whole room for a fresh client: a big one waits for its turn (turn-pacer.ts).
			const pacer = this.#options.pacer;
			const whole = pacer && isEmptyVector(this.#step1Pending ?? stateVector);
			const bytes = whole ? this.room.fullStateStep2().byteLength : 0;
			if (pacer && bytes >= PACE_ABOVE_BYTES) pacer.enqueue(answer, bytes);
			else answer();
		});
	}

	/**
	 * Step 2 with what the client lacks, then our step 1. After a first answer the socket has
	 * been sent everything the room held then, and every later change as it committed: a later
	 * answer leaves all of that out (asking again never buys the whole room again).
	 */
	#answerStep1(stateVector: Uint8Array): void {
		const doc = this.room.doc;
		const vector = Y.decodeStateVector(stateVector);
		if (this.#served) {
			for (const [client, clock] of Y.decodeStateVector(this.#served)) {
				if (clock > (vector.get(client) ?? 0)) vector.set(client, clock);
			}
		}
		this.#served = this.room.stateVector();
		// A fresh client (empty vector) gets the room's whole state: encoded once per change of
		// the room, not once per asker (a reconnect storm, or a flood of new sockets).
		const step2 =
			vector.size === 0
				? this.room.fullStateStep2()
				: encodeSyncStep2(doc, Y.encodeStateVector(vector));
		const step1 = encodeSyncStep1Of(this.#served);
		this.charge(step2.byteLength + step1.byteLength);
		this.send(step2);
		this.send(step1);
	}

	onUpdate(update: Uint8Array): void {
		// Refused like a gate refusal (nothing applied); a flood ends with RATE_LIMITED.
		if (!this.#admission.mayUpdate()) return this.refuseRate('too many updates per second');
		this.room.acceptUpdate(this, update);
	}

	onAwareness(update: Uint8Array): void {
		this.room.acceptAwareness(this, update);
	}

	onQueryAwareness(): void {
		const states = this.room.awarenessFrame();
		if (!states) return;
		this.charge(states.byteLength);
		this.send(states);
	}

	/**
	 * The update builds on changes the server does not have (the gate's `resync` verdict). An
	 * honest client meets this in a race between two of its sockets, so it is no offence: say
	 * why, then (after pending commits) send our step 1, to which the client answers with
	 * everything we lack. Several such updates in one turn share one step 1.
	 */
	requestResync(reason: string): void {
		this.#options.metrics?.updatesRefused.inc({ rule: 'resync' });
		this.send(encodePermissionDenied(reason));
		if (this.#resyncRequested) return;
		this.#resyncRequested = true;
		this.room.whenCommitted(() => {
			this.#resyncRequested = false;
			this.send(encodeSyncStep1Of(this.room.stateVector()));
		});
	}

	/** A gate refusal (nothing applied): the reason to the client, the third closes with 4403. */
	refuse(refused: Refusal): void {
		this.#refusals++;
		this.#options.metrics?.updatesRefused.inc({ rule: refusalLabel(refused) });
		this.send(encodePermissionDenied(refusalText(refused)));
		if (this.#refusals >= MAX_REFUSALS) this.close(CloseCode.FORBIDDEN, 'repeated refusals');
	}
}
