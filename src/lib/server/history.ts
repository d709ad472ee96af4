/**
 * Reading a room's sealed history (docs/design.md "History segments"): the list of segments,
 * one segment's messages, and a sealed epoch's final state vector. The sync server writes these
 * tables when it seals a head (sync-server/seal.ts); here they are only read, members only.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { cachedStatement, type Db } from './db';
import type { MembershipFailure } from './memberships';
import { getMembership } from './rooms';

export interface SegmentInfo {
	readonly n: number;
	readonly epoch: number;
	readonly count: number;
	readonly firstId: string;
	readonly lastId: string;
}

export interface RoomHistory {
	/** The head's epoch: the live document's, synced over /sync. */
	readonly epoch: number;
	/** Sealed segments, oldest first. */
	readonly segments: readonly SegmentInfo[];
}

export interface Segment {
	readonly n: number;
	readonly epoch: number;
	/** gzip of the JSON array of message objects, as stored. */
	readonly gzip: Buffer;
}

export type HistoryResult<T> =
	| { readonly ok: true; readonly value: T }
	| { readonly ok: false; readonly reason: MembershipFailure | 'not-found' };

/** Member check shared by the three reads: the room's epoch, or why not. */
function memberEpoch(db: Db, roomId: string, userId: string): HistoryResult<number> {
	const room = cachedStatement<[string], { epoch: number }>(
		db,
		'SELECT epoch FROM rooms WHERE id = ?'
	).get(roomId);
	if (!room) return { ok: false, reason: 'room-not-found' };
	if (getMembership(db, roomId, userId) === null) return { ok: false, reason: 'not-a-member' };
	return { ok: true, value: room.epoch };
}

export function getRoomHistory(db: Db, roomId: string, userId: string): HistoryResult<RoomHistory> {
	const epoch = memberEpoch(db, roomId, userId);
	if (!epoch.ok) return epoch;
	const segments = cachedStatement<[string], SegmentInfo>(
		db,
		`SELECT n, epoch, count, first_id AS firstId, last_id AS lastId
		 FROM room_segments WHERE room_id = ? ORDER BY n`
	).all(roomId);
	return { ok: true, value: { epoch: epoch.value, segments } };
}

export function getSegment(
	db: Db,
	roomId: string,
	n: number,
	userId: string
): HistoryResult<Segment> {
	const epoch = memberEpoch(db, roomId, userId);
	if (!epoch.ok) return epoch;
	const row = cachedStatement<[string, number], { epoch: number; data: Buffer }>(
		db,
		'SELECT epoch, data FROM room_segments WHERE room_id = ? AND n = ?'
	).get(roomId, n);
	if (!row) return { ok: false, reason: 'not-found' };
	return { ok: true, value: { n, epoch: row.epoch, gzip: row.data } };
}

/** The sealed epoch's final state vector (the head's own epoch is not sealed: not found). */
export function getSealedStateVector(
	db: Db,
	roomId: string,
	epoch: number,
	userId: string
): HistoryResult<Uint8Array> {
	const head = memberEpoch(db, roomId, userId);
	if (!head.ok) return head;
	const row = cachedStatement<[string, number], { state_vector: Buffer }>(
		db,
		'SELECT state_vector FROM room_epochs WHERE room_id = ? AND epoch = ?'
	).get(roomId, epoch);
	if (!row) return { ok: false, reason: 'not-found' };
	return { ok: true, value: row.state_vector };
}

/**
 * A segment's answer `{ n, epoch, messages }`, wrapped around the stored messages array without
 * parsing it; gzipped again when the client accepts it (segments are immutable and cached by
 * the client, so each client pays this once per segment).
 */
export function segmentBody(segment: Segment, gzip: boolean): Buffer {
	const body = Buffer.concat([
		Buffer.from(`{"n":${segment.n},"epoch":${segment.epoch},"messages":`),
		gunzipSync(segment.gzip),
		Buffer.from('}')
	]);
	return gzip ? gzipSync(body, { level: 6 }) : body;
}
