/**
 * The browser's replica of one room: a Y.Doc kept in IndexedDB (one database per user and
 * room) and synced through the stock y-websocket provider, exposed as Svelte 5 state.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import {
	STORED_MESSAGE_TYPE,
	decodeStoredClocks,
	deliveryOf,
	mergeDeliveryStates,
	parseDeliveryState,
	readArrayEntries,
	serializeDeliveryState,
	withOwnClient,
	withStoredClocks,
	type Delivery,
	type DeliveryState
} from './delivery';
import { connectionStatusOf, type ConnectionStatus } from './connection';
import { checkDraft, newMessage, parseMessage, type ChatMessage } from './messages';

export type { ConnectionStatus };

export interface MessageView extends ChatMessage {
	/** Delivery of the user's own messages; null for everyone else's. */
	readonly delivery: Delivery | null;
}

export type SendResult =
	| { readonly ok: true; readonly id: string }
	| { readonly ok: false; readonly error: string | null };

export interface RoomReplicaOptions {
	readonly userId: string;
	readonly roomId: string;
	/** e.g. ws://localhost:3000 (location.origin with http -> ws). */
	readonly wsOrigin: string;
	readonly maxMessageChars: number;
}

/** Sync close codes after which the server will not let this user back in (see close-codes.ts). */
const ACCESS_LOST_CODES = new Set([4401, 4403]);

export function wsOriginOf(httpOrigin: string): string {
	return httpOrigin.replace(/^http/, 'ws');
}

export class RoomReplica {
	messages: readonly MessageView[] = $state.raw([]);
	status: ConnectionStatus = $state('connecting');
	/** True once the IndexedDB replica has been read (what was there before the page opened). */
	loadedLocally = $state(false);
	/** Why the server closed the connection for good (e.g. membership removed), if it did. */
	accessError: string | null = $state(null);

	readonly #options: RoomReplicaOptions;
	readonly #doc = new Y.Doc();
	readonly #array: Y.Array<unknown>;
	readonly #persistence: IndexeddbPersistence;
	readonly #provider: WebsocketProvider;
	readonly #storageKey: string;
	#delivery: DeliveryState;
	#failedSinceLastSync = false;
	readonly #cleanups: Array<() => void> = [];

	constructor(options: RoomReplicaOptions) {
		this.#options = options;
		const { userId, roomId } = options;
		this.#storageKey = `parley:delivery:${userId}:${roomId}`;
		this.#delivery = parseDeliveryState(localStorage.getItem(this.#storageKey));
		this.#array = this.#doc.getArray('messages');

		const onArrayChange = (): void => this.#refreshMessages();
		this.#array.observe(onArrayChange);
		this.#cleanups.push(() => this.#array.unobserve(onArrayChange));

		this.#persistence = new IndexeddbPersistence(`parley:${userId}:${roomId}`, this.#doc);
		void this.#persistence.whenSynced.then(() => {
			this.loadedLocally = true;
		});

		this.#provider = new WebsocketProvider(`${options.wsOrigin}/sync`, roomId, this.#doc);
		this.#provider.messageHandlers[STORED_MESSAGE_TYPE] = (_encoder, decoder) => {
			this.#recordStored(decodeStoredClocks(decoding.readVarUint8Array(decoder)));
		};
		this.#listenToConnection();
		this.#listenToOtherTabs();
		this.#refreshMessages();
	}

	/** Appends a message; an empty draft is ignored, a too long one gives a visible error. */
	send(draft: string): SendResult {
		const check = checkDraft(draft, this.#options.maxMessageChars);
		if (!check.ok) {
			if (check.reason === 'empty') return { ok: false, error: null };
			return {
				ok: false,
				error: `Message is too long: ${check.length.toLocaleString('en')} of at most ${check.max.toLocaleString('en')} characters.`
			};
		}
		const message = newMessage(this.#options.userId, check.text);
		this.#doc.transact(() => {
			// Recorded before the push: the message must read as pending from its first render.
			this.#addOwnClient(this.#doc.clientID);
			this.#array.push([message]);
		});
		return { ok: true, id: message.id };
	}

	destroy(): void {
		for (const cleanup of this.#cleanups.splice(0)) cleanup();
		this.#provider.destroy();
		void this.#persistence.destroy();
		this.#doc.destroy();
	}

	#refreshMessages(): void {
		const views: MessageView[] = [];
		for (const entry of readArrayEntries(this.#array)) {
			const message = parseMessage(entry.value);
			if (message === null) continue;
			const own = message.author === this.#options.userId;
			views.push({ ...message, delivery: own ? deliveryOf(entry, this.#delivery) : null });
		}
		this.messages = views;
	}

	#setDelivery(next: DeliveryState): void {
		if (next === this.#delivery) return;
		this.#delivery = next;
		localStorage.setItem(this.#storageKey, serializeDeliveryState(next));
		this.#refreshMessages();
	}

	#recordStored(stored: ReadonlyMap<number, number>): void {
		this.#setDelivery(withStoredClocks(this.#delivery, stored));
	}

	#addOwnClient(client: number): void {
		const latest = parseDeliveryState(localStorage.getItem(this.#storageKey));
		// Another tab may have saved its own clients since we read the entry: keep them.
		const next = withOwnClient(mergeDeliveryStates(this.#delivery, latest), client);
		if (next === this.#delivery) return;
		this.#delivery = next;
		localStorage.setItem(this.#storageKey, serializeDeliveryState(next));
	}

	/** Other tabs of this browser write the same localStorage entry; merge what they learn. */
	#listenToOtherTabs(): void {
		const onStorage = (event: StorageEvent): void => {
			if (event.key !== this.#storageKey) return;
			this.#setDelivery(mergeDeliveryStates(this.#delivery, parseDeliveryState(event.newValue)));
		};
		window.addEventListener('storage', onStorage);
		this.#cleanups.push(() => window.removeEventListener('storage', onStorage));
	}

	#listenToConnection(): void {
		const provider = this.#provider;
		const update = (): void => {
			this.status = this.#computeStatus();
		};
		// Emitted for every closed socket, also one that never opened (server down), unlike the
		// provider's 'disconnected' status.
		const onConnectionClose = (): void => {
			this.#failedSinceLastSync = true;
			update();
		};
		const onSync = (synced: boolean): void => {
			if (synced) this.#failedSinceLastSync = false;
			update();
		};
		const onClosed = (event: { code: number; reason: string }): void => {
			if (ACCESS_LOST_CODES.has(event.code)) {
				this.accessError = event.reason || 'The server closed this room for you.';
			}
			update();
		};
		// The provider backs off up to a few seconds between attempts; when the network comes
		// back we try at once instead.
		const onOnline = (): void => {
			this.#failedSinceLastSync = false;
			if (this.accessError === null && provider.ws === null) provider.connect();
			update();
		};
		provider.on('status', update);
		provider.on('connection-close', onConnectionClose);
		provider.on('sync', onSync);
		provider.on('closed', onClosed);
		window.addEventListener('online', onOnline);
		window.addEventListener('offline', update);
		this.#cleanups.push(() => {
			provider.off('status', update);
			provider.off('connection-close', onConnectionClose);
			provider.off('sync', onSync);
			provider.off('closed', onClosed);
			window.removeEventListener('online', onOnline);
			window.removeEventListener('offline', update);
		});
		update();
	}

	#computeStatus(): ConnectionStatus {
		return connectionStatusOf({
			browserOnline: navigator.onLine,
			accessLost: this.accessError !== null,
			connected: this.#provider.wsconnected,
			synced: this.#provider.synced,
			shouldConnect: this.#provider.shouldConnect,
			failedSinceLastSync: this.#failedSinceLastSync
		});
	}
}
