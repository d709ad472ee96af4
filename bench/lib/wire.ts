/**
 * The y-websocket wire protocol spoken by hand, for light bench clients: frames are built
 * with lib0 and only the few bytes a receiver needs are read (sync-server/protocol.ts is the
 * server's side of the same protocol).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/protocol/wire';

export const MSG_SYNC = MessageType.SYNC;
export const MSG_AWARENESS = MessageType.AWARENESS;
export const MSG_AUTH = MessageType.AUTH;
export const MSG_STORED = MessageType.STORED;
export const STEP1 = 0;
export const STEP2 = 1;
export const UPDATE = 2;

function syncFrame(step: number, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MSG_SYNC);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

/** The empty update: no structs, empty delete set. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** "I have nothing": a step 2 carrying the empty update (what a fresh client answers). */
export const EMPTY_STEP2 = syncFrame(STEP2, EMPTY_UPDATE);
/** "I have nothing, send me everything": a step 1 with the empty state vector. */
export const EMPTY_STEP1 = syncFrame(STEP1, new Uint8Array([0]));

export function updateFrame(update: Uint8Array): Uint8Array {
	return syncFrame(UPDATE, update);
}

export function step1Frame(stateVector: Uint8Array): Uint8Array {
	return syncFrame(STEP1, stateVector);
}

export function step2Frame(update: Uint8Array): Uint8Array {
	return syncFrame(STEP2, update);
}

/** Wall-clock milliseconds with sub-ms resolution, comparable across processes on one host. */
export function nowMs(): number {
	return performance.timeOrigin + performance.now();
}

export interface FrameHead {
	readonly type: number;
	/** For SYNC frames: 0 step 1, 1 step 2, 2 update; -1 otherwise. */
	readonly step: number;
	/** The decoder positioned at the payload (after type and step). */
	readonly decoder: decoding.Decoder;
}

/** Hocuspocus's message types that differ from y-websocket's (its Sync and Awareness are 0 and 1). */
const HOCUSPOCUS_AUTH = 2;
const HOCUSPOCUS_SYNC_REPLY = 4;

/**
 * A frame as sent: as is (y-websocket, Parley), or prefixed with the document's name
 * (Hocuspocus speaks several documents over one socket).
 */
export function outgoing(frame: Uint8Array, docName: string | undefined): Uint8Array {
	if (docName === undefined) return frame;
	const encoder = encoding.createEncoder();
	encoding.writeVarString(encoder, docName);
	encoding.writeUint8Array(encoder, frame);
	return encoding.toUint8Array(encoder);
}

/** Hocuspocus's first frame for a document: authentication (an empty token; no auth hook). */
export function hocuspocusAuthFrame(docName: string): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarString(encoder, docName);
	encoding.writeVarUint(encoder, HOCUSPOCUS_AUTH);
	encoding.writeVarUint(encoder, 0);
	encoding.writeVarString(encoder, '');
	return encoding.toUint8Array(encoder);
}

/** Reads a frame's type (and sync step); `hocuspocus`: after the document's name. */
export function readHead(frame: Uint8Array, hocuspocus = false): FrameHead {
	const decoder = decoding.createDecoder(frame);
	if (hocuspocus) decoding.readVarString(decoder);
	let type = decoding.readVarUint(decoder);
	if (hocuspocus && type === HOCUSPOCUS_SYNC_REPLY) type = MSG_SYNC;
	else if (hocuspocus && type === HOCUSPOCUS_AUTH) type = -1;
	const step = type === MSG_SYNC ? decoding.readVarUint(decoder) : -1;
	return { type, step, decoder };
}

/**
 * How many chat messages an update carries, cheaply: a single-struct update (what the server
 * forwards unmerged) is read from its header only; anything else is decoded. Each bench message
 * is one Yjs item of length 1, so messages = total length of the items.
 */
export function countMessages(update: Uint8Array): number {
	const decoder = decoding.createDecoder(update);
	const clients = decoding.readVarUint(decoder);
	if (clients === 0) return 0;
	if (clients === 1 && decoding.readVarUint(decoder) === 1) return 1;
	let count = 0;
	for (const struct of Y.decodeUpdate(update).structs) {
		if (struct instanceof Y.Item) count += struct.length;
	}
	return count;
}

/** The send timestamps (`t=<ms>` in the text) of the messages in an update: decodes fully. */
export function sentTimes(update: Uint8Array): number[] {
	const times: number[] = [];
	for (const struct of Y.decodeUpdate(update).structs) {
		if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) continue;
		for (const value of struct.content.arr) {
			const text = (value as { text?: unknown } | null)?.text;
			if (typeof text !== 'string' || !text.startsWith('t=')) continue;
			const end = text.indexOf(' ');
			times.push(Number(text.slice(2, end === -1 ? undefined : end)));
		}
	}
	return times;
}

export function readVarBytes(decoder: decoding.Decoder): Uint8Array {
	return decoding.readVarUint8Array(decoder);
}

/** An awareness frame publishing one client's state (y-protocols encoding). */
export function awarenessFrame(clientId: number, clock: number, state: unknown): Uint8Array {
	const update = encoding.createEncoder();
	encoding.writeVarUint(update, 1);
	encoding.writeVarUint(update, clientId);
	encoding.writeVarUint(update, clock);
	encoding.writeVarString(update, JSON.stringify(state));
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MSG_AWARENESS);
	encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
	return encoding.toUint8Array(encoder);
}

/** The (clientID, clock) entries of an awareness update, states skipped. */
export function awarenessEntries(update: Uint8Array): { clientId: number; clock: number }[] {
	const decoder = decoding.createDecoder(update);
	const entries: { clientId: number; clock: number }[] = [];
	for (let n = decoding.readVarUint(decoder); n > 0; n--) {
		const clientId = decoding.readVarUint(decoder);
		const clock = decoding.readVarUint(decoder);
		decoding.readVarString(decoder);
		entries.push({ clientId, clock });
	}
	return entries;
}
