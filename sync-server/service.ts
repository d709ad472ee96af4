/**
 * The sync server assembled from its parts (room hub over `storage.roomLog`, search indexer,
 * upgrade), for the production entry (main.ts) and the dev plugin (vite-plugin.ts) alike. It
 * reaches storage only through the `Storage` interface the composition root hands it.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../src/lib/server/config';
import type {
	InboxFilled,
	LevelsChanged,
	MembershipAdded,
	MembershipRevoked,
	ProfileChanged,
	RoomSettingsChanged,
	SessionEnded,
	SummariesWanted
} from '../src/lib/server/events';
import { verifySessionToken } from '../src/lib/server/session';
import type { Storage } from '../src/lib/server/storage/types';
import { sanitizeAwarenessUpdate } from './awareness-gate';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { UpdateAdmission } from './admission';
import type { AwarenessPolicy } from './room-awareness';
import { RoomHub } from './rooms';
import { createSearchIndexer } from './search-indexer';
import type { Bus } from './types';
import { createUpdateAdmission } from './token-bucket';
import { OnlineUsers } from './online-users';
import { SummaryFeed } from './summary-feed';
import { createSummaryUpgrade } from './summary-upgrade';
import { TurnPacer, UPGRADES_PER_TURN } from './turn-pacer';
import { createSyncUpgrade, type SyncAccess } from './upgrade';
import { UserBudgets } from './user-budget';

export interface SyncService {
	readonly hub: RoomHub;
	/** The summary channel's feed (docs/design.md "Summary channel"). */
	readonly feed: SummaryFeed;
	/** Handles /sync/… upgrades; returns false for any other path, leaving it alone. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
	/** Drains: refuse new upgrades, commit pending updates, snapshot rooms, close sockets (1012). */
	shutdown(): Promise<void>;
}

/** Sessions and memberships, as the web app checks them (session.ts, `storage.rooms`). */
function storageAccess(
	storage: Storage,
	config: Pick<Config, 'SESSION_INACTIVITY_DAYS'>
): SyncAccess {
	return {
		async verifySession(token) {
			const { user, session } = await verifySessionToken(
				storage.accounts,
				token,
				config.SESSION_INACTIVITY_DAYS
			);
			if (!user) return null;
			const profile = await storage.accounts.getProfile(user.id);
			const displayName = profile?.displayName ?? '';
			return { userId: user.id, username: user.username, displayName, sessionId: session.id };
		},
		async isMember(roomId, userId) {
			return (await storage.rooms.membership(roomId, userId)) !== null;
		}
	};
}

/** The events the sync server listens to (the HTTP side's emitter: src/lib/server/events.ts). */
export type SyncEvents = EventEmitter<{
	'levels-changed': [LevelsChanged];
	'membership-revoked': [MembershipRevoked];
	'membership-added': [MembershipAdded];
	'session-ended': [SessionEnded];
	'room-settings-changed': [RoomSettingsChanged];
	'inbox-filled': [InboxFilled];
	'profile-changed': [ProfileChanged];
	'summaries-wanted': [SummariesWanted];
}>;

export function createSyncService(deps: {
	readonly config: Config;
	readonly storage: Storage;
	/** What the HTTP side tells the sync server (session ended, membership revoked). */
	readonly events: SyncEvents;
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
	 * Whether other instances may serve user sockets (a shared bus): then every commit's summary
	 * activity is published even when this instance serves none. Default: true.
	 */
	readonly summariesAcrossInstances?: boolean;
}): SyncService {
	const { config, storage, events, bus, log, metrics } = deps;
	// Who has a tab open, on any instance (the user sockets): the sidebar's and member list's dots.
	const online = new OnlineUsers({ bus });
	const feed = new SummaryFeed({
		storage: storage.summaries,
		bus,
		log,
		recheckIntervalMs: deps.membershipCheckIntervalMs,
		// The hub is made just below; the feed reads only once sockets connect.
		indexed: () => hub.indexNow(),
		roomsOf: async (userId) => (await storage.rooms.listOfUser(userId)).map((room) => room.id),
		online,
		membersOf: (roomId) => storage.rooms.memberIds(roomId)
	});
	const hub = new RoomHub({
		roomLog: storage.roomLog,
		signatures: { devices: storage.devices, required: config.REQUIRE_SIGNATURES },
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
		members: async (roomId) => new Set(await storage.rooms.memberIds(roomId)),
		membershipCheckIntervalMs: deps.membershipCheckIntervalMs,
		indexer: createSearchIndexer(storage.search, {
			onError: (error, roomIds) => log.error({ err: error, roomIds }, 'search indexing failed')
		}),
		onDurable: (entries) => {
			// Only when someone may listen: this instance's user sockets or another instance.
			if (feed.size === 0 && deps.summariesAcrossInstances === false) return;
			feed.committed(
				entries.map(({ item, stored }) => ({
					roomId: item.roomId,
					seq: stored.seq,
					written: item.written,
					sender: item.connection.user
				}))
			);
		}
	});
	const access = storageAccess(storage, config);
	// Rooms' and user sockets' upgrades share one queue: a few are checked per turn.
	const upgrades = new TurnPacer({
		budgetPerTurn: UPGRADES_PER_TURN,
		onError: (error) => log.error({ err: error }, 'upgrade check failed'),
		onWaiting: (waiting) => metrics?.upgradesWaiting.set(waiting)
	});
	const summaryUpgrade = createSummaryUpgrade({ access, config, feed, log, upgrades });
	const upgrade = createSyncUpgrade({ access, config, hub, log, metrics, upgrades });
	// The HTTP side (same process) removed a member: close their sockets within this tick.
	const onRevoked = ({ roomId, userId }: MembershipRevoked): void => {
		hub.revoke(roomId, userId);
		feed.membershipRevoked(roomId, userId);
	};
	events.on('membership-revoked', onRevoked);
	const onAdded = ({ userId }: MembershipAdded): void => feed.membershipAdded(userId);
	events.on('membership-added', onAdded);
	const onLevels = ({ userId }: LevelsChanged): void => feed.levelsChanged(userId);
	events.on('levels-changed', onLevels);
	// Logout here: that session's sockets close with 4401 (the session row is already gone, so
	// they could not reconnect anyway).
	const onSessionEnded = ({ sessionId }: SessionEnded): void => {
		hub.endSession(sessionId);
		feed.endSession(sessionId);
	};
	events.on('session-ended', onSessionEnded);
	// The owner renamed, re-topiced or (un)archived a room here: the gate and summaries re-read it.
	const onSettings = ({ roomId }: RoomSettingsChanged): void => {
		hub.settingsChanged(roomId);
		feed.roomChanged(roomId);
	};
	events.on('room-settings-changed', onSettings);
	// The layout reads summaries: what was committed here goes into the search index first.
	const onSummariesWanted = ({ waitFor }: SummariesWanted): void => waitFor(hub.indexNow());
	events.on('summaries-wanted', onSummariesWanted);
	// Key shares reached devices of these users: their user sockets are told (and elsewhere).
	const onInbox = ({ userIds }: InboxFilled): void => feed.inboxFilled(userIds);
	events.on('inbox-filled', onInbox);
	// A display name or picture changed here: the user's sockets (here and elsewhere) name their
	// messages with it, the summaries that show that person are sent again, and whoever shares a
	// room with them is told (an open room shows the new name and picture).
	const onProfile = ({ userId, displayName }: ProfileChanged): void => {
		hub.profileChanged(userId, displayName);
		feed.profileChanged(userId);
	};
	events.on('profile-changed', onProfile);

	return {
		hub,
		feed,
		handleUpgrade: (request, socket, head) =>
			summaryUpgrade.handleUpgrade(request, socket, head) ||
			upgrade.handleUpgrade(request, socket, head),
		async shutdown() {
			events.off('membership-revoked', onRevoked);
			events.off('membership-added', onAdded);
			events.off('levels-changed', onLevels);
			summaryUpgrade.stopAccepting();
			feed.close();
			online.close();
			summaryUpgrade.close();
			events.off('session-ended', onSessionEnded);
			events.off('room-settings-changed', onSettings);
			events.off('summaries-wanted', onSummariesWanted);
			events.off('inbox-filled', onInbox);
			events.off('profile-changed', onProfile);
			upgrade.stopAccepting();
			await hub.shutdown();
			await upgrade.close();
		}
	};
}
