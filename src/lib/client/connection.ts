/**
 * What the room page shows as its connection state ("Online", "Offline", "Connecting…",
 * "Server unreachable").
 */
export type ConnectionStatus = 'online' | 'offline' | 'connecting' | 'unreachable';

/** How long the socket may keep failing, with the browser online, before we blame the server. */
export const UNREACHABLE_AFTER_MS = 5_000;

export interface ConnectionFacts {
	/** navigator.onLine */
	readonly browserOnline: boolean;
	/** The server closed the room for this user for good (removed, logged out). */
	readonly accessLost: boolean;
	/** The socket is open. */
	readonly connected: boolean;
	/** The first sync exchange on the open socket has completed. */
	readonly synced: boolean;
	/** The provider still means to (re)connect. */
	readonly shouldConnect: boolean;
	/** A socket closed (or failed to open) since the last successful sync. */
	readonly failedSinceLastSync: boolean;
	/**
	 * How long attempts have been failing while the browser says it is online, in ms (0 when
	 * not failing).
	 */
	readonly failingForMs?: number;
}

/**
 * After a failed attempt we say "Offline" until a connection syncs again, rather than
 * flickering between "Offline" and "Connecting…" on every backoff retry; when that lasts while
 * the browser has a network, the server is what is missing.
 */
export function connectionStatusOf(facts: ConnectionFacts): ConnectionStatus {
	if (!facts.browserOnline || facts.accessLost) return 'offline';
	if (facts.connected && facts.synced) return 'online';
	if (facts.failedSinceLastSync && facts.shouldConnect) {
		return (facts.failingForMs ?? 0) > UNREACHABLE_AFTER_MS ? 'unreachable' : 'offline';
	}
	if (facts.failedSinceLastSync || !facts.shouldConnect) return 'offline';
	return 'connecting';
}
