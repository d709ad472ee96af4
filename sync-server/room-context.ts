/**
 * What a room is made of and reports: its configuration, metrics, the services the hub hands
 * it, and what it tells the hub. Types only.
 */
import type { Config } from '../src/lib/server/config';
import type { AdmissionRules } from './admission';
import type { CommitLog, CommitRequest } from './commit-log';
import type { Connection } from './connection';
import type { Written } from './gate';
import type { SignatureServices } from './gate-lookups';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { AwarenessPolicy } from './room-awareness';
import type { RoomLogPort } from './room-log';
import type { Seal } from './seal';
import type { TurnPacer } from './turn-pacer';
import type { Bus } from './types';

/** A room as the hub is told about it. */
export interface RoomHandle {
	readonly id: string;
}

export type RoomConfig = Pick<
	Config,
	'MAX_MESSAGE_CHARS' | 'COMPACT_AFTER_UPDATES' | 'ROOM_IDLE_UNLOAD_MS'
> &
	/**
	 * SEAL_AFTER_MESSAGES: seal the head once `messages` holds this many; absent (some unit
	 * tests): never. SEAL_MIN_INTERVAL_MS, SYNC_STEP1_MIN_INTERVAL_MS absent: no minimum.
	 * MAX_MESSAGES_PER_UPDATE absent: no limit. MAX_UPLOAD_BYTES absent: no size bound on files.
	 * ROOM_SLEEP_MS absent: the room never sleeps. AWARENESS_BATCH_MS absent: each awareness
	 * change is relayed at once.
	 */
	Partial<
		Pick<
			Config,
			| 'SEAL_AFTER_MESSAGES'
			| 'SEAL_MIN_INTERVAL_MS'
			| 'MAX_MESSAGES_PER_UPDATE'
			| 'SYNC_STEP1_MIN_INTERVAL_MS'
			| 'MAX_UPLOAD_BYTES'
			| 'ROOM_SLEEP_MS'
			| 'AWARENESS_BATCH_MS'
		>
	>;

/** The metrics the rooms and the hub record (optional: unit tests pass none). */
export type RoomMetrics = Pick<
	Metrics,
	'roomsLoaded' | 'updatesAccepted' | 'updatesRefused' | 'storeCommitSeconds' | 'roomSeals'
>;

/** An accepted update on its way to the commit log, and the connection owed its receipt. */
export interface PendingUpdate extends CommitRequest {
	readonly connection: Connection;
	/** What it writes that the summaries follow, as the gate parsed it. */
	readonly written: Written;
}

/** What a room is built with (by the hub): its services, and what it tells the hub. */
export interface RoomContext {
	readonly roomLog: RoomLogPort;
	/** Gate rule 7's services; absent: signatures are checked for format only. */
	readonly signatures?: SignatureServices;
	readonly bus: Bus;
	readonly commits: CommitLog<PendingUpdate>;
	readonly config: RoomConfig;
	readonly log: Logger;
	readonly awarenessPolicy: AwarenessPolicy;
	readonly admission: Omit<AdmissionRules, 'step1MinIntervalMs'>;
	/** Spreads the hub's big step 2 answers over turns; absent (unit tests): sent at once. */
	readonly pacer?: TurnPacer;
	/** Wall-clock ms (Date.now), for the time since the last seal. */
	nowMs(): number;
	readonly metrics?: RoomMetrics;
	/** The room left memory (idle, sealed, or replaced by a newer epoch). */
	unloaded(room: RoomHandle): void;
	/** This room sealed its head: `seal.head` is the new head's state (e.g. for the search index). */
	sealed?(room: RoomHandle, seal: Seal, epoch: number): void;
}

/** What `Room.seal()` did. */
export type SealOutcome =
	/** The head was sealed; the room is gone (sockets closed with 4409). */
	| 'sealed'
	/** The room log had moved on: the room caught up (and is gone if the epoch changed). */
	| 'behind'
	/** Not now: under the threshold, updates pending, already gone, or the write failed. */
	| 'skipped';
