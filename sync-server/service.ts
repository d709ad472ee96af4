/**
 * The sync server assembled from its parts (store, client-id claims, room hub, upgrade), for
 * the production entry (main.ts) and the dev plugin (vite-plugin.ts) alike.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../src/lib/server/config';
import type { Db } from '../src/lib/server/db';
import { getEvents, type MembershipRevoked, type SessionEnded } from '../src/lib/server/events';
import { getMembership } from '../src/lib/server/rooms';
import { validateSessionToken } from '../src/lib/server/session';
import { sanitizeAwarenessUpdate } from './awareness-gate';
import { ClientIdClaims } from './client-ids';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { UpdateAdmission } from './admission';
import type { AwarenessPolicy } from './room-awareness';
import { createSqliteRoomLog } from './room-log';
import { RoomHub } from './rooms';
import { createSearchIndexer } from './search-indexer';
import { SqliteStore } from './store';
import type { Bus } from './types';
import { createUpdateAdmission } from './token-bucket';
import { createSyncUpgrade, type SyncAccess } from './upgrade';
import { UserBudgets } from './user-budget';

export interface SyncService {
	readonly hub: RoomHub;
	/** Handles /sync/… upgrades; returns false for any other path, leaving it alone. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
	/** Drains: refuse new upgrades, commit pending updates, snapshot rooms, close sockets (1012). */
	shutdown(): Promise<void>;
}

/**
 * Sessions and memberships read from SQLite. Bridge until the storage interface arrives here:
 * then `verifySessionToken(storage.accounts, …)` and `storage.rooms.membership`.
 */
function sqliteAccess(db: Db, config: Pick<Config, 'SESSION_INACTIVITY_DAYS'>): SyncAccess {
	return {
		async verifySession(token) {
			const { user, session } = validateSessionToken(db, token, config.SESSION_INACTIVITY_DAYS);
			return user ? { userId: user.id, username: user.username, sessionId: session.id } : null;
		},
		async isMember(roomId, userId) {
			return getMembership(db, roomId, userId) !== null;
		}
	};
}

/** The events the sync server listens to (the HTTP side's emitter: src/lib/server/events.ts). */
export type SyncEvents = EventEmitter<{
	'membership-revoked': [MembershipRevoked];
	'session-ended': [SessionEnded];
}>;

export function createSyncService(deps: {
	readonly config: Config;
	readonly db: Db;
	readonly bus: Bus;
	readonly log: Logger;
	/** Default: the awareness gate (awareness-gate.ts). */
	readonly awarenessPolicy?: AwarenessPolicy;
	/** Default: a token bucket per connection, UPDATES_PER_SECOND / UPDATES_BURST. */
	readonly admitUpdate?: UpdateAdmission;
	readonly metrics?: Metrics;
	/** Default: MEMBERSHIP_CHECK_INTERVAL_MS (rooms.ts). */
	readonly membershipCheckIntervalMs?: number;
	/**
	 * What the HTTP side tells the sync server (session ended, membership revoked), from the
	 * composition root. Default, until main.ts passes it: the process-wide emitter.
	 */
	readonly events?: SyncEvents;
}): SyncService {
	const { config, db, bus, log, metrics } = deps;
	const events = deps.events ?? getEvents();
	const selectMembers = db.prepare<[string], { user_id: string }>(
		'SELECT user_id FROM memberships WHERE room_id = ?'
	);
	const hub = new RoomHub({
		roomLog: createSqliteRoomLog(new SqliteStore(db), new ClientIdClaims(db)),
		bus,
		config,
		log,
		awarenessPolicy: deps.awarenessPolicy ?? sanitizeAwarenessUpdate,
		admitUpdate:
			deps.admitUpdate ??
			createUpdateAdmission({
				ratePerSecond: config.UPDATES_PER_SECOND,
				burst: config.UPDATES_BURST
			}),
		admitAwareness: createUpdateAdmission({
			ratePerSecond: config.AWARENESS_UPDATES_PER_SECOND,
			burst: config.AWARENESS_BURST
		}),
		budgets: new UserBudgets({
			bytesPerSecond: config.USER_BUDGET_BYTES_PER_SECOND,
			burstBytes: config.USER_BUDGET_BURST_BYTES
		}),
		metrics,
		members: (roomId) => new Set(selectMembers.all(roomId).map((row) => row.user_id)),
		membershipCheckIntervalMs: deps.membershipCheckIntervalMs,
		indexer: createSearchIndexer(db, {
			onError: (error, roomIds) => log.error({ err: error, roomIds }, 'search indexing failed')
		})
	});
	const upgrade = createSyncUpgrade({
		access: sqliteAccess(db, config),
		config,
		hub,
		log,
		metrics
	});
	// The HTTP side (same process) removed a member: close their sockets within this tick.
	const onRevoked = ({ roomId, userId }: MembershipRevoked): void => hub.revoke(roomId, userId);
	events.on('membership-revoked', onRevoked);
	// Logout here: that session's sockets close with 4401 (the session row is already gone, so
	// they could not reconnect anyway).
	const onSessionEnded = ({ sessionId }: SessionEnded): void => hub.endSession(sessionId);
	events.on('session-ended', onSessionEnded);

	return {
		hub,
		handleUpgrade: upgrade.handleUpgrade,
		async shutdown() {
			events.off('membership-revoked', onRevoked);
			events.off('session-ended', onSessionEnded);
			upgrade.stopAccepting();
			await hub.shutdown();
			await upgrade.close();
		}
	};
}
