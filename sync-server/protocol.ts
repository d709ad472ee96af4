/**
 * The wire protocol, in one module: the stock y-websocket messages (y-protocols sync,
 * awareness, auth) plus Parley's STORED receipt. Decoding is one function returning a tagged
 * union; everything the server sends is built by the encoders below.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as authProtocol from 'y-protocols/auth';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { MessageType } from '../src/lib/protocol/wire';

/** Sub-types of a SYNC message (y-protocols/sync). */
const SyncStep = {
	STEP1: syncProtocol.messageYjsSyncStep1,
	STEP2: syncProtocol.messageYjsSyncStep2,
	UPDATE: syncProtocol.messageYjsUpdate
} as const;

export type Message =
	/** "Here is my state vector; send me what I lack." */
	| { readonly type: 'sync-step1'; readonly stateVector: Uint8Array }
	/** The answer to step 1: a Yjs update with what the asker lacks. */
	| { readonly type: 'sync-step2'; readonly update: Uint8Array }
	/** A live Yjs update. */
	| { readonly type: 'update'; readonly update: Uint8Array }
	/** An encoded awareness update (y-protocols/awareness). */
	| { readonly type: 'awareness'; readonly update: Uint8Array }
	| { readonly type: 'query-awareness' }
	| { readonly type: 'permission-denied'; readonly reason: string }
	| { readonly type: 'stored'; readonly stateVector: Map<number, number> };

/** A frame that does not parse as any message we know. */
export class ProtocolError extends Error {
	override name = 'ProtocolError';
}

/** Parses one frame. Throws ProtocolError on anything malformed or unknown. */
export function decodeMessage(frame: Uint8Array): Message {
	try {
		const decoder = decoding.createDecoder(frame);
		const type = decoding.readVarUint(decoder);
		switch (type) {
			case MessageType.SYNC: {
				const step = decoding.readVarUint(decoder);
				const payload = decoding.readVarUint8Array(decoder);
				switch (step) {
					case SyncStep.STEP1:
						return { type: 'sync-step1', stateVector: payload };
					case SyncStep.STEP2:
						return { type: 'sync-step2', update: payload };
					case SyncStep.UPDATE:
						return { type: 'update', update: payload };
					default:
						throw new ProtocolError(`unknown sync step ${step}`);
				}
			}
			case MessageType.AWARENESS:
				return { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
			case MessageType.QUERY_AWARENESS:
				return { type: 'query-awareness' };
			case MessageType.AUTH: {
				const sub = decoding.readVarUint(decoder);
				if (sub !== authProtocol.messagePermissionDenied) {
					throw new ProtocolError(`unknown auth message ${sub}`);
				}
				return { type: 'permission-denied', reason: decoding.readVarString(decoder) };
			}
			case MessageType.STORED:
				return {
					type: 'stored',
					stateVector: Y.decodeStateVector(decoding.readVarUint8Array(decoder))
				};
			default:
				throw new ProtocolError(`unknown message type ${type}`);
		}
	} catch (error) {
		if (error instanceof ProtocolError) throw error;
		// lib0 throws plain Errors on truncated input.
		throw new ProtocolError(`malformed frame: ${(error as Error).message}`);
	}
}

/** What a connection handler implements: one method per message a client may send. */
export interface MessageHandler {
	onSyncStep1(stateVector: Uint8Array): void;
	/** Step 2 and live updates are handled alike: both are Yjs updates from the client. */
	onUpdate(update: Uint8Array, kind: 'sync-step2' | 'update'): void;
	onAwareness(update: Uint8Array): void;
	onQueryAwareness(): void;
}

/**
 * Decodes a client frame and calls the matching handler. Server-only messages (auth, stored)
 * from a client are a protocol error.
 */
export function dispatchMessage(frame: Uint8Array, handler: MessageHandler): void {
	const message = decodeMessage(frame);
	switch (message.type) {
		case 'sync-step1':
			return handler.onSyncStep1(message.stateVector);
		case 'sync-step2':
		case 'update':
			return handler.onUpdate(message.update, message.type);
		case 'awareness':
			return handler.onAwareness(message.update);
		case 'query-awareness':
			return handler.onQueryAwareness();
		case 'permission-denied':
		case 'stored':
			throw new ProtocolError(`a client may not send ${message.type}`);
	}
}

function syncFrame(step: number, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.SYNC);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

/** Our state vector, so the client answers with what we lack. */
export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
	return encodeSyncStep1Of(Y.encodeStateVector(doc));
}

/** Sync step 1 for an already encoded state vector (`Y.encodeStateVector`'s bytes). */
export function encodeSyncStep1Of(stateVector: Uint8Array): Uint8Array {
	return syncFrame(SyncStep.STEP1, stateVector);
}

/** Everything in `doc` that a peer with `stateVector` lacks. */
export function encodeSyncStep2(doc: Y.Doc, stateVector?: Uint8Array): Uint8Array {
	return syncFrame(SyncStep.STEP2, Y.encodeStateAsUpdate(doc, stateVector));
}

/** Wraps an already-encoded Yjs update (never re-encoded: the bytes pass through). */
export function encodeUpdate(update: Uint8Array): Uint8Array {
	return syncFrame(SyncStep.UPDATE, update);
}

/** Wraps an encoded awareness update (y-protocols/awareness `encodeAwarenessUpdate`). */
export function encodeAwareness(awarenessUpdate: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.AWARENESS);
	encoding.writeVarUint8Array(encoder, awarenessUpdate);
	return encoding.toUint8Array(encoder);
}

/**
 * Several encoded awareness updates as one (varUint count, then the entries: each is
 * self-delimiting, so they are copied as they are). Receivers apply entries one by one.
 */
export function mergeAwarenessUpdates(updates: readonly Uint8Array[]): Uint8Array {
	const encoder = encoding.createEncoder();
	let count = 0;
	const entries: Uint8Array[] = [];
	for (const update of updates) {
		const decoder = decoding.createDecoder(update);
		count += decoding.readVarUint(decoder);
		entries.push(update.subarray(decoder.pos));
	}
	encoding.writeVarUint(encoder, count);
	for (const bytes of entries) encoding.writeUint8Array(encoder, bytes);
	return encoding.toUint8Array(encoder);
}

export function encodeQueryAwareness(): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.QUERY_AWARENESS);
	return encoding.toUint8Array(encoder);
}

/** The y-protocols auth message stock clients log as "Permission denied … reason". */
export function encodePermissionDenied(reason: string): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.AUTH);
	authProtocol.writePermissionDenied(encoder, reason);
	return encoding.toUint8Array(encoder);
}

/** The STORED receipt: see MessageType.STORED. */
export function encodeStoredReceipt(stateVector: ReadonlyMap<number, number>): Uint8Array {
	return encodeStoredReceiptOf(Y.encodeStateVector(new Map(stateVector)));
}

/** The STORED receipt for an already encoded state vector (`Y.encodeStateVector`'s bytes). */
export function encodeStoredReceiptOf(stateVector: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.STORED);
	encoding.writeVarUint8Array(encoder, stateVector);
	return encoding.toUint8Array(encoder);
}
