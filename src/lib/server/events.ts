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

/**
 * A session was ended (logout): its open sync sockets close with 4401, on this instance at once
 * and on the others through the bus's control channel (`session-ended`).
 */
export interface SessionEnded {
	readonly sessionId: string;
}

export interface ParleyEvents {
	'membership-revoked': [MembershipRevoked];
	'session-ended': [SessionEnded];
}

export type ServerEvents = EventEmitter<ParleyEvents>;

export function createEvents(): ServerEvents {
	return new EventEmitter<ParleyEvents>();
}

const KEY = Symbol.for('parley.events');
type WithEvents = typeof globalThis & { [KEY]?: ServerEvents };

/**
 * TEMPORARY, for sync-server/service.ts only until it takes the services' emitter (issue 13):
 * the process-wide emitter it listens on. The composition roots (sync-server/main.ts and
 * vite-plugin.ts) pass this very emitter to createServices, so both sides share it; nothing
 * else may call it.
 */
export function getEvents(): ServerEvents {
	const holder = globalThis as WithEvents;
	holder[KEY] ??= createEvents();
	return holder[KEY];
}
