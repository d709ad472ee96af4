/**
 * Raw y-websocket frames built by hand, for tests and load generators that send what a stock
 * client would not (src/lib/protocol/wire.ts holds the message types).
 */
import * as encoding from 'lib0/encoding';
import { MessageType } from '../../src/lib/protocol/wire';

/** One awareness entry as y-protocols encodes it; a null state removes the clientID. */
export interface AwarenessEntry {
	readonly clientId: number;
	readonly clock: number;
	readonly state: unknown;
}

/** An awareness frame (message type 1) carrying these entries. */
export function awarenessFrame(entries: readonly AwarenessEntry[]): Uint8Array {
	const update = encoding.createEncoder();
	encoding.writeVarUint(update, entries.length);
	for (const { clientId, clock, state } of entries) {
		encoding.writeVarUint(update, clientId);
		encoding.writeVarUint(update, clock);
		encoding.writeVarString(update, JSON.stringify(state));
	}
	const frame = encoding.createEncoder();
	encoding.writeVarUint(frame, MessageType.AWARENESS);
	encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
	return encoding.toUint8Array(frame);
}
