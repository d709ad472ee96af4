/**
 * The sync server's small interfaces. Rooms, the gate and the store know nothing of `ws`:
 * they talk to these, so unit tests can use fakes and integration tests real sockets.
 */

import type { UploadedFile } from './gate';
import type { Seal } from './seal';
import type { SharedFrame } from './shared-frame';

/** What a room needs of a connection's transport. `ws` satisfies it; so does a test fake. */
export interface SyncSocket {
	send(data: Uint8Array): void;
	/**
	 * Optional fast path for a message sent to many sockets: write the frame's prebuilt bytes.
	 * Without it, rooms call `send(frame.data)`.
	 */
	sendShared?(frame: SharedFrame): void;
	close(code: number, reason: string): void;
	readonly bufferedAmount: number;
	/** Optional: stop reading the socket (its user is over budget: TCP pushes back) / read again. */
	pause?(): void;
	resume?(): void;
	/**
	 * Optional: close a flooding peer: send the close frame, read nothing more from it (parsing
	 * what it still sends would cost the process), cut it if the handshake does not end soon.
	 * Without it, `close`.
	 */
	abort?(code: number, reason: string): void;
}

/** Where a change came from. What came from the bus is never published again nor stored twice. */
export type ChangeOrigin = 'client' | 'bus' | 'store';

/** The room is not in `rooms` (never created, or deleted): nothing can be stored for it. */
export { UnknownRoomError } from '../src/lib/server/storage/errors';

/** One committed update in a room's log. `seq` counts per room, from 1, without gaps. */
export interface StoredUpdate {
	readonly seq: number;
	readonly data: Uint8Array;
}

export interface RoomState {
	/** The snapshot (if any) followed by the log after it, oldest first. */
	readonly updates: readonly Uint8Array[];
	/** The highest seq these include (0 for an empty room). */
	readonly seq: number;
	/** The head's epoch (rooms.epoch): how many times the room was sealed. */
	readonly epoch: number;
	/** When the previous epoch was sealed (room_epochs.sealed_at, Date.now ms); absent: never. */
	readonly sealedAtMs?: number;
}

/** One update to append. */
export interface AppendItem {
	readonly roomId: string;
	readonly data: Uint8Array;
	/**
	 * The room's epoch when the update was gated. If the room has another epoch by the time the
	 * batch commits (another instance sealed it), the update is not stored. Absent: no check.
	 */
	readonly epoch?: number;
}

/** The log since a seq, and the epoch it belongs to (read together, in one transaction). */
export interface RoomLog {
	readonly epoch: number;
	readonly updates: StoredUpdate[];
}

/** Durable storage of rooms' Yjs updates (SQLite in production). All calls are synchronous. */
export interface Store {
	loadRoom(roomId: string): RoomState;
	/**
	 * Appends the updates in ONE transaction (group commit) and returns, in order, each one's
	 * seq — or `null` for an update whose `epoch` is not its room's any more: nothing of it is
	 * stored (the other rooms of the batch commit normally). Throws if the transaction fails;
	 * nothing of the batch is then stored.
	 */
	append(batch: readonly AppendItem[]): (StoredUpdate | null)[];
	/**
	 * The log entries with seq > afterSeq, oldest first (a snapshot if the log was compacted or
	 * sealed past it), with the room's current epoch: a reader of another epoch must not apply them.
	 */
	readSince(roomId: string, afterSeq: number): RoomLog;
	/** Replaces the log up to `uptoSeq` with one snapshot `state`; with `epoch`, only in that epoch. */
	compact(roomId: string, uptoSeq: number, state: Uint8Array, epoch?: number): void;
	/** How many log entries follow the snapshot. */
	logLength(roomId: string): number;
	/**
	 * Seals the head (docs/design.md, "History segments") in ONE transaction, only if the room
	 * is still at `expected.epoch` AND its log ends at `expected.lastSeq` (the sealed doc holds
	 * every committed update: a seal over a doc missing another instance's commit would delete
	 * it). Returns the new epoch, or `null` when either differs (nothing written: catch up).
	 */
	seal(roomId: string, expected: { epoch: number; lastSeq: number }, seal: Seal): number | null;
	/** The author of a sealed message of the room (table room_message_ids); undefined if none. */
	sealedAuthorOf(roomId: string, messageId: string): string | undefined;
	/** An upload of the room (table files): what a message may say of it (gate rule 2). */
	roomFile(roomId: string, fileId: string): UploadedFile | undefined;
}

/** What instances tell each other about one room (on that room's channel). */
export type RoomBusMessage =
	| {
			readonly kind: 'update';
			readonly roomId: string;
			/** The update's seq in the room's log (already committed). */
			readonly seq: number;
			readonly data: Uint8Array;
	  }
	| { readonly kind: 'awareness'; readonly roomId: string; readonly data: Uint8Array }
	| { readonly kind: 'revoke'; readonly roomId: string; readonly userId: string }
	/** The room was sealed: its head is now `epoch`; sockets of older heads close with 4409. */
	| { readonly kind: 'epoch'; readonly roomId: string; readonly epoch: number };

/** What instances tell each other about no room in particular (one control channel). */
export type ControlBusMessage = {
	/** A session logged out: every instance closes that session's sockets (4401). */
	readonly kind: 'session-ended';
	readonly sessionId: string;
};

export type BusMessage = RoomBusMessage | ControlBusMessage;

export type Unsubscribe = () => void;

/**
 * Fan-out between instances. In-process when REDIS_URL is unset; Redis otherwise.
 * Delivery is best-effort and may have gaps; rooms detect gaps by seq and read the
 * missing updates back from the Store, and re-read on `onResync`.
 */
export interface Bus {
	/** This instance's id; messages it published are not delivered back to it. */
	readonly instanceId: string;
	publish(message: BusMessage): void;
	subscribe(roomId: string, handler: (message: RoomBusMessage) => void): Unsubscribe;
	/** Control messages from other instances (every instance receives them, no subscription). */
	onControl(handler: (message: ControlBusMessage) => void): Unsubscribe;
	/** Called when deliveries may have been missed (e.g. Redis reconnected): re-read from the Store. */
	onResync(handler: () => void): Unsubscribe;
	close(): Promise<void>;
}
