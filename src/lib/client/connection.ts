/**
 * What the room page shows as its connection state ("Online", "Offline", "Connecting…").
 */
export type ConnectionStatus = 'online' | 'offline' | 'connecting';

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
}

/**
 * After a failed attempt we say "Offline" until a connection syncs again, rather than
 * flickering between "Offline" and "Connecting…" on every backoff retry.
 */
export function connectionStatusOf(facts: ConnectionFacts): ConnectionStatus {
	if (!facts.browserOnline || facts.accessLost) return 'offline';
	if (facts.connected && facts.synced) return 'online';
	if (facts.failedSinceLastSync || !facts.shouldConnect) return 'offline';
	return 'connecting';
}
