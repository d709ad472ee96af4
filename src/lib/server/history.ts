/**
 * Reading a room's sealed history (docs/design.md "History segments"): the list of segments,
 * one segment's messages, and a sealed epoch's final state vector. The sync server writes these
 * tables when it seals a head (sync-server/seal.ts); here they are only read, members only.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { MembershipFailure } from './memberships';
import type { SegmentInfo, Storage, StoredSegment } from './storage/types';

export type { SegmentInfo } from './storage/types';
export interface RoomHistory {
	/** The head's epoch: the live document's, synced over /sync. */
	readonly epoch: number;
	/** Sealed segments, oldest first. */
	readonly segments: readonly SegmentInfo[];
}

export type Segment = StoredSegment;

export type HistoryResult<T> =
	| { readonly ok: true; readonly value: T }
	| { readonly ok: false; readonly reason: MembershipFailure | 'not-found' };

/** Member check shared by the three reads: the room's epoch, or why not. */
type HistoryStores = Pick<Storage, 'history' | 'rooms'>;

async function memberEpoch(
	storage: HistoryStores,
	roomId: string,
	userId: string
): Promise<HistoryResult<number>> {
	const epoch = await storage.history.headEpoch(roomId);
	if (epoch === null) return { ok: false, reason: 'room-not-found' };
	if ((await storage.rooms.membership(roomId, userId)) === null) {
		return { ok: false, reason: 'not-a-member' };
	}
	return { ok: true, value: epoch };
}

export async function getRoomHistory(
	storage: HistoryStores,
	roomId: string,
	userId: string
): Promise<HistoryResult<RoomHistory>> {
	const epoch = await memberEpoch(storage, roomId, userId);
	if (!epoch.ok) return epoch;
	const segments = await storage.history.segments(roomId);
	return { ok: true, value: { epoch: epoch.value, segments } };
}

export async function getSegment(
	storage: HistoryStores,
	roomId: string,
	n: number,
	userId: string
): Promise<HistoryResult<Segment>> {
	const epoch = await memberEpoch(storage, roomId, userId);
	if (!epoch.ok) return epoch;
	const segment = await storage.history.segment(roomId, n);
	return segment ? { ok: true, value: segment } : { ok: false, reason: 'not-found' };
}

export async function getSealedStateVector(
	storage: HistoryStores,
	roomId: string,
	epoch: number,
	userId: string
): Promise<HistoryResult<Uint8Array>> {
	const head = await memberEpoch(storage, roomId, userId);
	if (!head.ok) return head;
	const vector = await storage.history.sealedStateVector(roomId, epoch);
	return vector ? { ok: true, value: vector } : { ok: false, reason: 'not-found' };
}

export function segmentBody(segment: Segment, gzip: boolean): Buffer {
	const body = Buffer.concat([
		Buffer.from(`{"n":${segment.n},"epoch":${segment.epoch},"messages":`),
		gunzipSync(segment.gzip),
		Buffer.from('}')
	]);
	return gzip ? gzipSync(body, { level: 6 }) : body;
}
