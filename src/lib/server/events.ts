/**
 * In-process events from the HTTP side to the sync server (same process). The sync server
 * relays them to other instances through its bus. The composition root (services.ts) builds
 * one emitter and hands it to both sides.
 */
import { EventEmitter } from 'node:events';

export interface MembershipRevoked {
	readonly roomId: string;
	readonly userId: string;
}

/** A user became a member of a room (created, joined, added, invited, a DM): summaries re-list. */
export interface MembershipAdded {
	readonly roomId: string;
	readonly userId: string;
}

/**
 * A session was ended (logout): its open sync sockets close with 4401, on this instance at once
 * and on the others through the bus's control channel (`session-ended`).
 */
export interface SessionEnded {
	readonly sessionId: string;
}

/** The owner changed a room's name, topic or archive state: the sync server re-reads it. */
export interface RoomSettingsChanged {
	readonly roomId: string;
}

/**
 * To-device messages (key shares) reached devices of these users: their user sockets are told
 * (`{ type: "inbox" }`), so an open encrypted room reads its inbox now instead of at its next poll.
 */
export interface InboxFilled {
	readonly userIds: readonly string[];
}

/** A user changed a notification level (a room's or their default): their summaries re-list. */
export interface LevelsChanged {
	readonly userId: string;
}

/** A user changed their display name ('' for none): summaries and live previews take it. */
export interface ProfileChanged {
	readonly userId: string;
	readonly displayName: string;
}

/**
 * The HTTP side is about to read summaries (the layout's list): whatever it must wait for first
 * is handed to `waitFor` by the listeners (the sync server: its commits reaching the search
 * index, which the summaries derive from).
 */
export interface SummariesWanted {
	waitFor(ready: Promise<void>): void;
}

export interface ParleyEvents {
	'levels-changed': [LevelsChanged];
	'membership-revoked': [MembershipRevoked];
	'membership-added': [MembershipAdded];
	'session-ended': [SessionEnded];
	'room-settings-changed': [RoomSettingsChanged];
	'inbox-filled': [InboxFilled];
	'profile-changed': [ProfileChanged];
	'summaries-wanted': [SummariesWanted];
}

export type ServerEvents = EventEmitter<ParleyEvents>;

export function createEvents(): ServerEvents {
	return new EventEmitter<ParleyEvents>();
}
