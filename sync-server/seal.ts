/**
 * Sealing a room's head (docs/design.md, "History segments (epochs)"): everything the store
 * writes when epoch e ends, computed from the head doc. Pure: no I/O, the doc is only read.
 *
 * - the head's messages (plain JSON values, array order) cut into segments of at most
 *   `segmentSize`, each gzip of `JSON.stringify(messages)`;
 * - every message's (id, author), for the gate's rules 2 and 4 once the ids leave the head;
 * - the head's state vector (a replica of epoch e re-sends into e + 1 what it does not cover);
 * - the next head: a fresh doc (its own random clientID, the server's) holding a copy of every
 *   entry of `changes`, `reactions` and `reads`, which stay the one truth for all messages.
 */
import { gzipSync } from 'node:zlib';
import * as Y from 'yjs';

/** The map roots carried whole into the next head. */
export const CARRIED_MAPS = ['changes', 'reactions', 'reads'] as const;

export interface SealSegment {
	readonly count: number;
	/** Id of the first / last message ('' for a value without a string id: never from the gate). */
	readonly firstId: string;
	readonly lastId: string;
	/** gzip of the JSON array of the segment's messages. */
	readonly data: Uint8Array;
}

export interface SealedMessageId {
	readonly id: string;
	readonly author: string;
}

export interface Seal {
	/** In history order; the store numbers them after the room's earlier segments. */
	readonly segments: readonly SealSegment[];
	readonly messageIds: readonly SealedMessageId[];
	/** Y.encodeStateVector of the sealed head. */
	readonly stateVector: Uint8Array;
	/** Y.encodeStateAsUpdate of the next head (the carried maps). */
	readonly head: Uint8Array;
	/** How many messages were sealed. */
	readonly messageCount: number;
}

function idOf(value: unknown): string {
	if (typeof value !== 'object' || value === null) return '';
	const id: unknown = (value as { id?: unknown }).id;
	return typeof id === 'string' ? id : '';
}

/** Builds the seal of `doc` with segments of at most `segmentSize` messages. */
export function buildSeal(doc: Y.Doc, segmentSize: number): Seal {
	if (!Number.isSafeInteger(segmentSize) || segmentSize < 1) {
		throw new RangeError(`segment size must be a positive integer, got ${segmentSize}`);
	}
	const messages = doc.getArray<unknown>('messages').toArray();
	const segments: SealSegment[] = [];
	for (let start = 0; start < messages.length; start += segmentSize) {
		const part = messages.slice(start, start + segmentSize);
		segments.push({
			count: part.length,
			firstId: idOf(part[0]),
			lastId: idOf(part.at(-1)),
			data: new Uint8Array(gzipSync(JSON.stringify(part)))
		});
	}
	const messageIds: SealedMessageId[] = [];
	for (const value of messages) {
		if (typeof value !== 'object' || value === null) continue;
		const { id, author } = value as { id?: unknown; author?: unknown };
		if (typeof id === 'string' && typeof author === 'string') messageIds.push({ id, author });
	}

	const next = new Y.Doc();
	try {
		next.transact(() => {
			for (const name of CARRIED_MAPS) {
				const target = next.getMap<unknown>(name);
				for (const [key, value] of doc.getMap<unknown>(name).entries()) target.set(key, value);
			}
		});
		return {
			segments,
			messageIds,
			stateVector: Y.encodeStateVector(doc),
			head: Y.encodeStateAsUpdate(next),
			messageCount: messages.length
		};
	} finally {
		next.destroy();
	}
}
