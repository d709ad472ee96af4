/**
 * The browser's replica of one room: a Y.Doc kept in IndexedDB (one database per user, room
 * and epoch) and synced through the y-websocket provider (room-provider.ts), exposed as Svelte 5
 * state. Messages of sealed history segments can be put in front of the head's (`setOlder`);
 * moving from one epoch to the next is room-session.svelte.ts's.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { IndexeddbPersistence } from 'y-indexeddb';
import { Awareness } from 'y-protocols/awareness';
import {
	STORED_MESSAGE_TYPE,
	decodeStoredClocks,
	mergeDeliveryStates,
	parseDeliveryState,
	serializeDeliveryState,
	withOwnClient,
	withStoredClocks,
	type DeliveryState
} from './delivery';
import { UNREACHABLE_AFTER_MS, connectionStatusOf, type ConnectionStatus } from './connection';
import {
	checkDraft,
	deletedChange,
	editedChange,
	newMessage,
	parseChange,
	storedMessage,
	type ChatMessage,
	type MessageChange
} from './messages';
import {
	EPOCH_CHANGED_CODE,
	deliveryStorageKey,
	writeUnsynced,
	type UnsyncedChanges
} from './epochs';
import { MessageViews, roomTypesOf, type MessageView, type RoomTypes } from './message-views';
import { peersOf, TYPING_IDLE_MS, type Peer } from './presence';
import { reactionKey, type ReactionSummary } from './reactions';
import type { ReplyQuote } from './replies';
import { detachDuringOwnTransactions, readUpdates, replicaDatabaseName } from './local-replica';
import { RoomProvider } from './room-provider';
import { parseReadMark, type ReadMark } from './receipts';

export type { ConnectionStatus, MessageView, Peer, ReactionSummary, ReplyQuote };

/** Writes of the user's own read mark are at most this frequent, in ms. */
const MARK_READ_INTERVAL_MS = 1_000;

export type SendResult =
	| { readonly ok: true; readonly id: string }
	| { readonly ok: false; readonly error: string | null };

export interface RoomReplicaOptions {
	readonly userId: string;
	readonly roomId: string;
	/** e.g. ws://localhost:3000 (location.origin with http -> ws). */
	readonly wsOrigin: string;
	readonly maxMessageChars: number;
	/** The user's name for the awareness state (the server sets the real one from the session). */
	readonly userName?: string;
	/** The epoch of the replica (docs/design.md, "History segments"); 0 when not given. */
	readonly epoch?: number;
	/** The server closed the socket with 4409: the room's head is another epoch now. */
	readonly onEpochChanged?: (replica: RoomReplica) => void;
	/**
	 * The read baseline to keep instead of the one this replica would compute: the page's first
	 * replica's, when this one replaces it after a seal (what was new then still is).
	 */
	readonly readBaseline?: { readonly upTo: string | null } | null;
}

/** How the first sync with the server ended, or why it never will. */
export type FirstSync = 'synced' | 'epoch-changed' | 'access-lost' | 'destroyed';

/** Sync close codes after which the server will not let this user back in (see close-codes.ts). */
const ACCESS_LOST_CODES = new Set([4401, 4403]);

export function wsOriginOf(httpOrigin: string): string {
	return httpOrigin.replace(/^http/, 'ws');
}

/** Connect without the local replica if IndexedDB has not loaded after this long, in ms. */
const LOCAL_LOAD_TIMEOUT_MS = 5_000;

export class RoomReplica {
	messages: readonly MessageView[] = $state.raw([]);
	status: ConnectionStatus = $state('connecting');
	/** True once the IndexedDB replica has been read (what was there before the page opened). */
	loadedLocally = $state(false);
	/** Why the server closed the connection for good (e.g. membership removed), if it did. */
	accessError: string | null = $state(null);
	/** Own messages not yet stored on the server ("N waiting to be sent"). */
	pendingCount = $state(0);
	/**
	 * The user's read mark as the local replica held it when the page opened: `undefined` until
	 * IndexedDB is read, null when this browser had never seen the room (then nothing is "new").
	 */
	readBaseline: { readonly upTo: string | null } | null | undefined = $state(undefined);
	/** The user's own read mark now (last message seen), or null. */
	ownUpTo: string | null = $state(null);
	/** Who has the room open now (this user included), with whether they are typing. */
	peers: readonly Peer[] = $state.raw([]);
	/** True once the server's first sync arrived (what came before is not "new" to notify). */
	syncedOnce = $state(false);
	/** How many of `messages` come from sealed segments (`setOlder`), in front of the head's. */
	olderCount = $state(0);
	readonly epoch: number;

	readonly #options: RoomReplicaOptions;
	readonly #doc = new Y.Doc();
	readonly #array: Y.Array<unknown>;
	readonly #reads: Y.Map<unknown>;
	readonly #changes: Y.Map<unknown>;
	readonly #reactions: Y.Map<unknown>;
	/** The four roots together, as the views and `writeUnsynced` take them. */
	readonly #types: RoomTypes;
	readonly #views: MessageViews;
	#typingTimer: ReturnType<typeof setTimeout> | null = null;
	readonly #persistence: IndexeddbPersistence;
	/** Made before the provider, so presence works (and is sent) from the first sync on. */
	readonly #awareness: Awareness;
	/** Null until the IndexedDB replica is loaded (see `#connect`). */
	#provider: RoomProvider | null = null;
	#destroyed = false;
	readonly #storageKey: string;
	#delivery: DeliveryState;
	#failedSinceLastSync = false;
	/** When attempts started failing with the browser online (performance.now()), or null. */
	#failingSince: number | null = null;
	#unreachableTimer: ReturnType<typeof setTimeout> | null = null;
	#lastMarkMs = -Infinity;
	#markTimer: ReturnType<typeof setTimeout> | null = null;
	readonly #cleanups: Array<() => void> = [];
	/** Sealed messages shown before the head's (see `setOlder`). */
	#older: readonly ChatMessage[] = [];
	/** The server said this replica's epoch is not the head any more (4409). */
	#epochChanged = false;
	#settleFirstSync: (outcome: FirstSync) => void = () => undefined;
	/** Resolves when the first sync with the server is done, or cannot happen any more. */
	readonly firstSync: Promise<FirstSync>;
	/** Resolves once the IndexedDB replica is loaded (or given up on, see LOCAL_LOAD_TIMEOUT_MS). */
	readonly loaded: Promise<void>;

	constructor(options: RoomReplicaOptions) {
		this.#options = options;
		const { userId, roomId } = options;
		this.epoch = options.epoch ?? 0;
		this.firstSync = new Promise((resolve) => {
			let settled = false;
			this.#settleFirstSync = (outcome) => {
				if (settled) return;
				settled = true;
				resolve(outcome);
			};
		});
		this.#storageKey = deliveryStorageKey(userId, roomId, this.epoch);
		this.#delivery = parseDeliveryState(localStorage.getItem(this.#storageKey));
		this.#types = roomTypesOf(this.#doc);
		this.#array = this.#types.messages;
		this.#reads = this.#types.reads;
		this.#changes = this.#types.changes;
		this.#reactions = this.#types.reactions;
		this.#views = new MessageViews(userId);
		this.#awareness = new Awareness(this.#doc);

		this.#listenToTransactions();
		this.#persistence = new IndexeddbPersistence(
			replicaDatabaseName(userId, roomId, this.epoch),
			this.#doc
		);
		this.#skipEncodingLoads(this.#persistence);
		let markLoaded: () => void = () => undefined;
		this.loaded = new Promise((resolve) => (markLoaded = resolve));
		// If IndexedDB never answers (blocked or broken storage), still sync with the server.
		const fallback = setTimeout(() => {
			markLoaded();
			if (!this.#destroyed) this.#connect();
		}, LOCAL_LOAD_TIMEOUT_MS);
		void this.#persistence.whenSynced.then(() => {
			clearTimeout(fallback);
			markLoaded();
			if (this.#destroyed) return;
			// Before the server or this page adds anything: what "new since last time" means. A
			// new epoch's head may hold no messages yet, but the user's read mark says they were here.
			const mark = this.#ownReadMark();
			this.readBaseline =
				options.readBaseline !== undefined
					? options.readBaseline
					: this.#array.length === 0 && mark === null
						? null
						: { upTo: mark?.upTo ?? null };
			this.loadedLocally = true;
			this.#connect();
		});

		this.#listenToBrowser();
		this.#listenToOtherTabs();
		this.#listenToPresence();
		this.#refreshMessages();
	}

	/**
	 * One refresh per transaction that touched the room's types (observing each type would
	 * refresh once per type changed, e.g. twice when the replica loads).
	 */
	#listenToTransactions(): void {
		const observed: readonly unknown[] = [this.#array, this.#reads, this.#changes, this.#reactions];
		const reactions: unknown = this.#reactions;
		const onTransaction = (transaction: Y.Transaction): void => {
			let touched = false;
			let reactionsChanged = false;
			for (const type of transaction.changed.keys()) {
				if (observed.includes(type)) touched = true;
				if (type === reactions) reactionsChanged = true;
			}
			if (touched) this.#refreshMessages(reactionsChanged);
		};
		this.#doc.on('afterTransaction', onTransaction);
		this.#cleanups.push(() => this.#doc.off('afterTransaction', onTransaction));
	}

	/** Loading the stored replica is not encoded again as an update (see local-replica.ts). */
	#skipEncodingLoads(persistence: IndexeddbPersistence): void {
		this.#cleanups.push(
			detachDuringOwnTransactions(
				this.#doc,
				persistence,
				persistence._storeUpdate,
				() => !this.#destroyed
			)
		);
	}

	/**
	 * Connects once the local replica is loaded, so the first sync step carries its state
	 * vector: the server sends only what is missing, and the loaded replica is not sent back to
	 * the server (nor to other tabs) as one big update.
	 */
	#connect(): void {
		if (this.#provider) return;
		const provider = new RoomProvider(
			`${this.#options.wsOrigin}/sync`,
			this.#options.roomId,
			this.#doc,
			{ awareness: this.#awareness, epoch: this.epoch }
		);
		provider.messageHandlers[STORED_MESSAGE_TYPE] = (_encoder, decoder) => {
			this.#recordStored(decodeStoredClocks(decoding.readVarUint8Array(decoder)));
		};
		this.#provider = provider;
		this.#listenToConnection(provider);
	}

	/**
	 * Appends a message (a reply when `replyTo` is given); an empty draft is ignored, a too long
	 * one gives a visible error.
	 */
	send(draft: string, replyTo?: string): SendResult {
		const check = this.checkText(draft);
		if (!check.ok) return check;
		const message = newMessage(this.#options.userId, check.text, Date.now(), replyTo);
		this.push(message);
		return { ok: true, id: message.id };
	}

	/** The draft trimmed, or why it cannot be sent (null: nothing to say, it is empty). */
	checkText(
		draft: string
	):
		| { readonly ok: true; readonly text: string }
		| { readonly ok: false; readonly error: string | null } {
		const check = checkDraft(draft, this.#options.maxMessageChars);
		if (check.ok) return check;
		if (check.reason === 'empty') return { ok: false, error: null };
		return {
			ok: false,
			error: `Message is too long: ${check.length.toLocaleString('en')} of at most ${check.max.toLocaleString('en')} characters.`
		};
	}

	/** Appends a message built elsewhere (the upload outbox's, with its files) by this user. */
	push(message: ChatMessage): void {
		if (message.author !== this.#options.userId) return;
		this.setTyping(false);
		this.#doc.transact(() => {
			// Recorded before the push: the message must read as pending from its first render.
			this.#addOwnClient(this.#doc.clientID);
			this.#array.push([storedMessage(message)]);
		});
	}

	/** Replaces the text of an own message (not a deleted one); an empty edit is refused. */
	edit(messageId: string, draft: string): SendResult {
		const message = this.#ownLiveMessage(messageId);
		if (!message) return { ok: false, error: 'Only your own messages can be edited.' };
		const check = this.checkText(draft);
		if (!check.ok)
			return check.error === null ? { ok: false, error: 'A message cannot be empty.' } : check;
		if (check.text === message.text) return { ok: true, id: messageId };
		const change = editedChange(parseChange(this.#changes.get(messageId)), check.text);
		this.#doc.transact(() => this.#changes.set(messageId, change));
		return { ok: true, id: messageId };
	}

	/** Deletes an own message: a tombstone in `changes` (messages are never removed). */
	remove(messageId: string): boolean {
		if (!this.#ownLiveMessage(messageId)) return false;
		const change: MessageChange = deletedChange();
		this.#doc.transact(() => this.#changes.set(messageId, change));
		return true;
	}

	/** Adds the user's reaction with this emoji, or takes it back if it is there. */
	toggleReaction(messageId: string, emoji: string): void {
		const message = this.messages.find((m) => m.id === messageId);
		if (!message || message.deleted) return;
		const key = reactionKey(messageId, emoji, this.#options.userId);
		this.#doc.transact(() => {
			if (this.#reactions.has(key)) this.#reactions.delete(key);
			else this.#reactions.set(key, Date.now());
		});
	}

	/** Tells the others the user is typing; it lapses after TYPING_IDLE_MS without a keystroke. */
	setTyping(typing: boolean): void {
		if (this.#typingTimer !== null) clearTimeout(this.#typingTimer);
		this.#typingTimer = null;
		if (typing) {
			this.#typingTimer = setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
		}
		const awareness = this.#awareness;
		const current = (awareness.getLocalState() as { typing?: unknown } | null)?.typing === true;
		if (current !== typing) awareness.setLocalStateField('typing', typing);
	}

	#ownLiveMessage(messageId: string): MessageView | null {
		const message = this.messages.find((m) => m.id === messageId);
		if (!message || message.author !== this.#options.userId || message.deleted) return null;
		return message;
	}

	/**
	 * Records that the user has seen everything up to the last message, if `seesLatest()` says
	 * they do (the page: visible and scrolled to the end). Written only when it changes, at most
	 * once per MARK_READ_INTERVAL_MS; a call in between is retried at the end of the interval,
	 * asking `seesLatest` again then (the user may have scrolled away meanwhile).
	 */
	markRead(seesLatest: () => boolean): void {
		if (this.#markTimer !== null) return;
		const wait = this.#lastMarkMs + MARK_READ_INTERVAL_MS - performance.now();
		if (wait > 0) {
			this.#markTimer = setTimeout(() => {
				this.#markTimer = null;
				this.markRead(seesLatest);
			}, wait);
			return;
		}
		if (!seesLatest()) return;
		// A placeholder has no message id to mark: the last message that has one.
		const last = this.messages.findLast((message) => !message.unreadable);
		if (!last || this.#ownReadMark()?.upTo === last.id) return;
		this.#lastMarkMs = performance.now();
		const mark: ReadMark = { upTo: last.id, ts: Date.now() };
		this.#doc.transact(() => this.#reads.set(this.#options.userId, mark));
	}

	/** True once the server said this replica's epoch is not the room's head any more (4409). */
	get epochChanged(): boolean {
		return this.#epochChanged;
	}

	/** Messages in the head's array (sealed ones not counted). */
	get headLength(): number {
		return this.#array.length;
	}

	/** Shows `older` (sealed segments' messages, oldest first) before the head's messages. */
	setOlder(older: readonly ChatMessage[]): void {
		if (older === this.#older) return;
		this.#older = older;
		this.#refreshMessages(false);
	}

	/** The whole replica as one update (the source a migration reads, with the stored one). */
	snapshot(): Uint8Array {
		return Y.encodeStateAsUpdate(this.#doc);
	}

	/**
	 * Applies what IndexedDB holds now: another tab may have written into this epoch's replica
	 * since this one loaded it (a migration, under the lock both take).
	 */
	async reloadLocal(): Promise<void> {
		const updates = await readUpdates(
			replicaDatabaseName(this.#options.userId, this.#options.roomId, this.epoch)
		);
		if (updates === null || this.#destroyed) return;
		// As y-indexeddb loads: its origin, so the updates are not stored again.
		Y.transact(
			this.#doc,
			() => {
				for (const update of updates) Y.applyUpdate(this.#doc, update);
			},
			this.#persistence,
			false
		);
	}

	/**
	 * Writes what an old epoch's replica held and the server never got (epochs.ts); leaves out
	 * what this replica holds already. Own messages go out pending, like new ones.
	 */
	absorb(unsynced: UnsyncedChanges): void {
		if (unsynced.userId !== this.#options.userId) return;
		this.#doc.transact(() => {
			if (unsynced.messages.length > 0) this.#addOwnClient(this.#doc.clientID);
			writeUnsynced(this.#types, unsynced);
		});
	}

	/** Resolves once everything written so far is in IndexedDB. */
	async flushLocal(): Promise<void> {
		const db = await this.#persistence._db;
		// y-indexeddb queued its writes on this connection; a later read-write transaction on the
		// same store completes after them.
		await new Promise<void>((resolve, reject) => {
			const transaction = db.transaction(['updates'], 'readwrite');
			transaction.oncomplete = () => resolve();
			transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB flush failed'));
			transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB flush aborted'));
		});
	}

	destroy(): void {
		this.#destroyed = true;
		this.#settleFirstSync('destroyed');
		if (this.#markTimer !== null) clearTimeout(this.#markTimer);
		if (this.#typingTimer !== null) clearTimeout(this.#typingTimer);
		if (this.#unreachableTimer !== null) clearTimeout(this.#unreachableTimer);
		for (const cleanup of this.#cleanups.splice(0)) cleanup();
		this.#provider?.destroy();
		this.#awareness.destroy();
		void this.#persistence.destroy();
		this.#doc.destroy();
	}

	#ownReadMark(): ReadMark | null {
		return parseReadMark(this.#reads.get(this.#options.userId));
	}

	/** `reactionsChanged: false` when the reactions map is known not to have changed. */
	#refreshMessages(reactionsChanged = true): void {
		const { views, pending, older } = this.#views.derive(
			this.#types,
			this.#delivery,
			reactionsChanged,
			this.#older
		);
		this.messages = views;
		this.olderCount = older;
		this.pendingCount = pending;
		this.ownUpTo = this.#ownReadMark()?.upTo ?? null;
	}

	#listenToPresence(): void {
		const awareness = this.#awareness;
		const update = (): void => {
			this.peers = peersOf(awareness.getStates().values());
		};
		awareness.on('change', update);
		// The server replaces `user` with the session's; ours is there so we list ourselves at once.
		awareness.setLocalState({
			user: { id: this.#options.userId, name: this.#options.userName ?? this.#options.userId },
			typing: false
		});
		this.#cleanups.push(() => awareness.off('change', update));
		update();
	}

	#setDelivery(next: DeliveryState): void {
		if (next === this.#delivery) return;
		this.#delivery = next;
		localStorage.setItem(this.#storageKey, serializeDeliveryState(next));
		this.#refreshMessages(false);
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

	#updateStatus(): void {
		this.status = this.#computeStatus();
	}

	/** The browser's network events; they count before the provider exists too. */
	#listenToBrowser(): void {
		const update = (): void => this.#updateStatus();
		// The provider backs off up to a few seconds between attempts; when the network comes
		// back we try at once instead.
		const onOnline = (): void => {
			this.#failedSinceLastSync = false;
			this.#stopFailingClock();
			const provider = this.#provider;
			if (
				this.accessError === null &&
				!this.#epochChanged &&
				provider !== null &&
				provider.ws === null
			) {
				provider.connect();
			}
			update();
		};
		const onOffline = (): void => {
			this.#stopFailingClock();
			update();
		};
		window.addEventListener('online', onOnline);
		window.addEventListener('offline', onOffline);
		this.#cleanups.push(() => {
			window.removeEventListener('online', onOnline);
			window.removeEventListener('offline', onOffline);
		});
		update();
	}

	#listenToConnection(provider: RoomProvider): void {
		const update = (): void => this.#updateStatus();
		// Emitted for every closed socket, also one that never opened (server down), unlike the
		// provider's 'disconnected' status.
		const onConnectionClose = (): void => {
			this.#failedSinceLastSync = true;
			if (navigator.onLine) this.#startFailingClock(update);
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
			if (ACCESS_LOST_CODES.has(event.code)) {
				this.accessError = event.reason || 'The server closed this room for you.';
				this.#settleFirstSync('access-lost');
			} else if (event.code === EPOCH_CHANGED_CODE) {
				// Not lost: the room's history was sealed. The session moves to the new head.
				this.#epochChanged = true;
				this.#settleFirstSync('epoch-changed');
				this.#options.onEpochChanged?.(this);
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

	/** Starts timing a run of failures; `update` runs again once it counts as unreachable. */
	#startFailingClock(update: () => void): void {
		if (this.#failingSince !== null) return;
		this.#failingSince = performance.now();
		this.#unreachableTimer = setTimeout(() => {
			this.#unreachableTimer = null;
			update();
		}, UNREACHABLE_AFTER_MS + 50);
	}

	#stopFailingClock(): void {
		this.#failingSince = null;
		if (this.#unreachableTimer !== null) clearTimeout(this.#unreachableTimer);
		this.#unreachableTimer = null;
	}

	#computeStatus(): ConnectionStatus {
		// No provider yet: the replica is loading from IndexedDB, and we mean to connect next.
		const provider = this.#provider;
		// Moving to the new head: connecting, as far as the reader is concerned.
		if (this.#epochChanged) return navigator.onLine ? 'connecting' : 'offline';
		return connectionStatusOf({
			failingForMs: this.#failingSince === null ? 0 : performance.now() - this.#failingSince,
			browserOnline: navigator.onLine,
			accessLost: this.accessError !== null,
			connected: provider?.wsconnected ?? false,
			synced: provider?.synced ?? false,
			shouldConnect: provider?.shouldConnect ?? true,
			failedSinceLastSync: this.#failedSinceLastSync
		});
	}
}
