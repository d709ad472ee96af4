/**
 * The sync server's small interfaces. Rooms, the gate and the room log know nothing of `ws`:
 * they talk to these, so unit tests can use fakes and integration tests real sockets.
 */

import type { ReadMarkRecord } from '../src/lib/server/storage/types';
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

/** What a committed update changes in its room's summary (summary-feed.ts). */
export interface SummaryActivity {
	readonly roomId: string;
	readonly seq: number;
	/** The update's (last) new message, its text cut to a preview; authorName when known. */
	readonly message: {
		readonly id: string;
		readonly author: string;
		readonly authorName: string | null;
		readonly text: string;
		readonly ts: number;
	} | null;
	/** The read marks it writes. */
	readonly reads: readonly ReadMarkRecord[];
	/** Delivery marks that moved (acknowledged by a member's device), for the authors concerned. */
	readonly delivered?: readonly DeliveryNotice[];
}

/** A member's delivery mark moved; `authors` are the users whose user sockets are told. */
export interface DeliveryNotice {
	readonly userId: string;
	readonly upTo: string;
	readonly ts: number;
	readonly authors: readonly string[];
}

/** What instances tell each other about no room in particular (one control channel). */
export type ControlBusMessage =
	| {
			/** A session logged out: every instance closes that session's sockets (4401). */
			readonly kind: 'session-ended';
			readonly sessionId: string;
	  }
	/** A room's summary changed (a message, read marks): for the members' user sockets. */
	| { readonly kind: 'summary'; readonly activity: SummaryActivity }
	/** A user's memberships changed: re-list their rooms; `removed` leaves their sockets now. */
	| { readonly kind: 'user-rooms'; readonly userId: string; readonly removed?: string }
	/** The owner renamed, re-topiced, archived or reopened a room: gate and summaries re-read it. */
	| { readonly kind: 'room-settings'; readonly roomId: string }
	/** To-device messages reached a device of this user: their user sockets are told. */
	| { readonly kind: 'inbox'; readonly userId: string }
	/** A user changed their display name ('' for none): sockets and summaries take the new one. */
	| { readonly kind: 'profile'; readonly userId: string; readonly displayName: string }
	/**
	 * Users whose user sockets opened (`came`) or all closed (`went`) on `instanceId`; with
	 * `full`, `came` is that instance's whole list (a beat). `ask`: answer with your whole list
	 * now (a starting instance). See online-users.ts.
	 */
	| {
			readonly kind: 'online';
			readonly instanceId: string;
			readonly full: boolean;
			readonly ask: boolean;
			readonly came: readonly string[];
			readonly went: readonly string[];
	  };

export type BusMessage = RoomBusMessage | ControlBusMessage;

const CONTROL_KINDS: ReadonlySet<BusMessage['kind']> = new Set([
	'session-ended',
	'summary',
	'user-rooms',
	'room-settings',
	'inbox',
	'profile',
	'online'
]);

/** Whether a bus message goes on the control channel (it concerns no one room). */
export function isControlMessage(message: BusMessage): message is ControlBusMessage {
	return CONTROL_KINDS.has(message.kind);
}

export type Unsubscribe = () => void;

/**
 * Fan-out between instances. In-process when REDIS_URL is unset; Redis otherwise.
 * Delivery is best-effort and may have gaps; rooms detect gaps by seq and read the
 * missing updates back from the room log, and re-read on `onResync`.
 */
export interface Bus {
	/** This instance's id; messages it published are not delivered back to it. */
	readonly instanceId: string;
	publish(message: BusMessage): void;
	/**
	 * `onSubscribed`: called when the subscription takes effect on a bus where that is later
	 * than the call (Redis): what was published to the room before then is not delivered, so the
	 * room reads it back. Only this room: other rooms and user sockets missed nothing.
	 */
	subscribe(
		roomId: string,
		handler: (message: RoomBusMessage) => void,
		onSubscribed?: () => void
	): Unsubscribe;
	/** Control messages from other instances (every instance receives them, no subscription). */
	onControl(handler: (message: ControlBusMessage) => void): Unsubscribe;
	/**
	 * Called when any delivery may have been missed (Redis reconnected): every room re-reads its
	 * log, every user socket its listing. Not for a new room subscription (`onSubscribed`).
	 */
	onResync(handler: () => void): Unsubscribe;
	close(): Promise<void>;
}
