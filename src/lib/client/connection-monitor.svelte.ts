/**
 * The connection state of one room replica, as the page shows it ("Online", "Offline",
 * "Connecting…", "Server unreachable"), and why the server ended it for good. Fed by the
 * browser's network events and the sync provider's; connection.ts holds the pure rule.
 */
import { ACCESS_LOST_CLOSE_CODES, CloseCode } from '$lib/protocol/wire';
import { UNREACHABLE_AFTER_MS, connectionStatusOf, type ConnectionStatus } from './connection';

/** How the first sync with the server ended, or why it never will. */
export type FirstSync = 'synced' | 'epoch-changed' | 'access-lost' | 'destroyed';

/** What the monitor reads of a y-websocket provider (WebsocketProvider has all of it). */
export interface MonitoredProvider {
	readonly wsconnected: boolean;
	readonly synced: boolean;
	readonly shouldConnect: boolean;
	readonly ws: unknown;
	connect(): void;
	on(event: 'status', listener: () => void): void;
	on(event: 'connection-close', listener: () => void): void;
	on(event: 'sync', listener: (synced: boolean) => void): void;
	on(event: 'closed', listener: (event: { code: number; reason: string }) => void): void;
	off(event: 'status', listener: () => void): void;
	off(event: 'connection-close', listener: () => void): void;
	off(event: 'sync', listener: (synced: boolean) => void): void;
	off(event: 'closed', listener: (event: { code: number; reason: string }) => void): void;
}

/** The browser as the monitor sees it; tests pass their own. */
export interface BrowserNetwork {
	/** navigator.onLine */
	isOnline(): boolean;
	/** Where 'online' and 'offline' are announced: the window. */
	readonly events: Pick<Window, 'addEventListener' | 'removeEventListener'>;
	/** A monotonic clock in ms (performance.now). */
	now(): number;
}

export const browserNetwork: BrowserNetwork = {
	isOnline: () => navigator.onLine,
	get events() {
		return window;
	},
	now: () => performance.now()
};

export interface ConnectionMonitorOptions {
	readonly network: BrowserNetwork;
	/** The server closed the socket with 4409: the room's head is another epoch now. */
	readonly onEpochChanged: () => void;
}

export class ConnectionMonitor {
	status: ConnectionStatus = $state('connecting');
	/** Why the server closed the connection for good (e.g. membership removed), if it did. */
	accessError: string | null = $state(null);
	/** True once the server said this tab's protocol version is too old (reload to update). */
	outdated = $state(false);
	/** True once the server's first sync arrived (what came before is not "new" to notify). */
	syncedOnce = $state(false);
	/** Settles once: the first sync, or why there will be none. */
	readonly firstSync: Promise<FirstSync>;

	readonly #options: ConnectionMonitorOptions;
	#settleFirstSync: (outcome: FirstSync) => void = () => undefined;
	#provider: MonitoredProvider | null = null;
	#epochChanged = false;
	#failedSinceLastSync = false;
	/** When attempts started failing with the browser online (network.now()), or null. */
	#failingSince: number | null = null;
	#unreachableTimer: ReturnType<typeof setTimeout> | null = null;
	readonly #cleanups: Array<() => void> = [];

	constructor(options: ConnectionMonitorOptions) {
		this.#options = options;
		this.firstSync = new Promise((resolve) => {
			let settled = false;
			this.#settleFirstSync = (outcome) => {
				if (settled) return;
				settled = true;
				resolve(outcome);
			};
		});
		this.#listenToBrowser();
	}

	/** True once the server said this replica's epoch is not the room's head any more (4409). */
	get epochChanged(): boolean {
		return this.#epochChanged;
	}

	/** Starts following a provider (one per replica, once the local replica is loaded). */
	attach(provider: MonitoredProvider): void {
		this.#provider = provider;
		const update = (): void => this.#update();
		// Emitted for every closed socket, also one that never opened (server down), unlike the
		// provider's 'disconnected' status.
		const onConnectionClose = (): void => {
			this.#failedSinceLastSync = true;
			if (this.#options.network.isOnline()) this.#startFailingClock();
			update();
		};
		const onSync = (synced: boolean): void => {
			if (synced) {
				this.#settleFirstSync('synced');
				this.syncedOnce = true;
				this.#failedSinceLastSync = false;
				this.#stopFailingClock();
			}
			update();
		};
		const onClosed = (event: { code: number; reason: string }): void => {
			if (ACCESS_LOST_CLOSE_CODES.has(event.code)) {
				this.accessError = event.reason || 'The server closed this room for you.';
				this.#settleFirstSync('access-lost');
			} else if (event.code === CloseCode.CLIENT_OUTDATED) {
				// This tab runs a build the server no longer serves: only a reload helps.
				this.outdated = true;
				this.#settleFirstSync('access-lost');
			} else if (event.code === CloseCode.EPOCH_CHANGED) {
				// Not lost: the room's history was sealed. The session moves to the new head.
				this.#epochChanged = true;
				this.#settleFirstSync('epoch-changed');
				this.#options.onEpochChanged();
			}
			update();
		};
		provider.on('status', update);
		provider.on('connection-close', onConnectionClose);
		provider.on('sync', onSync);
		provider.on('closed', onClosed);
		this.#cleanups.push(() => {
			provider.off('status', update);
			provider.off('connection-close', onConnectionClose);
			provider.off('sync', onSync);
			provider.off('closed', onClosed);
		});
		update();
	}

	destroy(): void {
		this.#settleFirstSync('destroyed');
		this.#stopFailingClock();
		for (const cleanup of this.#cleanups.splice(0)) cleanup();
	}

	/** The browser's network events; they count before the provider exists too. */
	#listenToBrowser(): void {
		const { events } = this.#options.network;
		// The provider backs off up to a few seconds between attempts; when the network comes
		// back we try at once instead.
		const onOnline = (): void => {
			this.#failedSinceLastSync = false;
			this.#stopFailingClock();
			const provider = this.#provider;
			const ended = this.accessError !== null || this.outdated || this.#epochChanged;
			if (!ended && provider !== null && provider.ws === null) provider.connect();
			this.#update();
		};
		const onOffline = (): void => {
			this.#stopFailingClock();
			this.#update();
		};
		events.addEventListener('online', onOnline);
		events.addEventListener('offline', onOffline);
		this.#cleanups.push(() => {
			events.removeEventListener('online', onOnline);
			events.removeEventListener('offline', onOffline);
		});
		this.#update();
	}

	/** Starts timing a run of failures; the status is computed again once it counts as unreachable. */
	#startFailingClock(): void {
		if (this.#failingSince !== null) return;
		this.#failingSince = this.#options.network.now();
		this.#unreachableTimer = setTimeout(() => {
			this.#unreachableTimer = null;
			this.#update();
		}, UNREACHABLE_AFTER_MS + 50);
	}

	#stopFailingClock(): void {
		this.#failingSince = null;
		if (this.#unreachableTimer !== null) clearTimeout(this.#unreachableTimer);
		this.#unreachableTimer = null;
	}

	#update(): void {
		this.status = this.#compute();
	}

	#compute(): ConnectionStatus {
		const { network } = this.#options;
		// Moving to the new head: connecting, as far as the reader is concerned.
		if (this.#epochChanged) return network.isOnline() ? 'connecting' : 'offline';
		// No provider yet: the replica is loading from IndexedDB, and we mean to connect next.
		const provider = this.#provider;
		return connectionStatusOf({
			failingForMs: this.#failingSince === null ? 0 : network.now() - this.#failingSince,
			browserOnline: network.isOnline(),
			accessLost: this.accessError !== null || this.outdated,
			connected: provider?.wsconnected ?? false,
			synced: provider?.synced ?? false,
			shouldConnect: provider?.shouldConnect ?? true,
			failedSinceLastSync: this.#failedSinceLastSync
		});
	}
}
