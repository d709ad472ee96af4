/**
 * In-process events from the HTTP side to the sync server (same process). The sync server
 * relays them to other instances through its bus. Held on globalThis because SvelteKit's
 * bundle and the sync server are separate module graphs in one process.
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

interface ParleyEvents {
	'membership-revoked': [MembershipRevoked];
	'session-ended': [SessionEnded];
}

const KEY = Symbol.for('parley.events');
type WithEvents = typeof globalThis & { [KEY]?: EventEmitter<ParleyEvents> };

export function getEvents(): EventEmitter<ParleyEvents> {
	const holder = globalThis as WithEvents;
	holder[KEY] ??= new EventEmitter<ParleyEvents>();
	return holder[KEY];
}
