/**
 * The browser's replica of one room: a Y.Doc kept in IndexedDB (one database per user, room
 * and epoch) and synced through the y-websocket provider (room-provider.ts), exposed as Svelte 5
 * state. Messages of sealed history segments can be put in front of the head's (`setOlder`);
 * moving from one epoch to the next is room-session.svelte.ts's.
 *
 * It wires the parts and owns the document's storage; each part has one job:
 * DeliveryLedger (pending / sent ticks), ConnectionMonitor (the status and why the server ended
 * the connection), PresenceChannel (awareness: who is here, typing), RoomCommands (every write
 * of the user), MessageViews (what the log shows, parsed from the replica).
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { IndexeddbPersistence } from 'y-indexeddb';
import { MessageType } from '$lib/protocol/wire';
import type { ConnectionStatus } from './connection';
import { browserNetwork, ConnectionMonitor, type FirstSync } from './connection-monitor.svelte';
import { decodeStoredClocks } from './delivery';
import { DeliveryLedger } from './delivery-ledger';
import { deliveryStorageKey, noteReactionRemoved, type UnsyncedChanges } from './epochs';
import { detachDuringOwnTransactions, readUpdates, replicaDatabaseName } from './local-replica';
import { MessageViews, roomTypesOf, type MessageView, type RoomTypes } from './message-views';
import type { InfoRow, Recipient } from './receipts';
import type { ChatMessage } from './messages';
import type { Peer } from './presence';
import { PresenceChannel } from './presence-channel.svelte';
import type { ReactionSummary } from './reactions';
import type { ReplyQuote } from './replies';
import { deviceSigner } from './item-signer';
import { deviceRegistered } from './device-keys';
import { RoomCommands, type SendResult, type TextCheck } from './room-commands';
import type { ContentCodec } from './room-keys';
import type { FileKey } from '../protocol/file-crypto';
import { RoomProvider } from './room-provider';
import { ReplicaStore } from './replica-store.svelte';

export type {
	ConnectionStatus,
	FirstSync,
	MessageView,
	Peer,
	ReactionSummary,
	ReplyQuote,
	SendResult
};

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
	/** An encrypted room's keys (room-keys.ts): what seals and opens its messages. */
	readonly codec?: ContentCodec;
}

export function wsOriginOf(httpOrigin: string): string {
	return httpOrigin.replace(/^http/, 'ws');
}

/** Connect without the local replica if IndexedDB has not loaded after this long, in ms. */
const LOCAL_LOAD_TIMEOUT_MS = 5_000;

export class RoomReplica {
	messages: readonly MessageView[] = $state.raw([]);
	/** True once the IndexedDB replica has been read (what was there before the page opened). */
	loadedLocally = $state(false);
	/** Own messages not yet stored on the server ("N waiting to be sent"). */
	pendingCount = $state(0);
	/**
	 * The user's read mark as the local replica held it when the page opened: `undefined` until
	 * IndexedDB is read, null when this browser had never seen the room (then nothing is "new").
	 */
	readBaseline: { readonly upTo: string | null } | null | undefined = $state(undefined);
	/** The user's own read mark now (last message seen), or null. */
	ownUpTo: string | null = $state(null);
	/** How many of `messages` come from sealed segments (`setOlder`), in front of the head's. */
	olderCount = $state(0);
	readonly epoch: number;
	/** Settles once: the first sync with the server, or why there will be none. */
	readonly firstSync: Promise<FirstSync>;
	/** Resolves once the IndexedDB replica is loaded (or given up on, see LOCAL_LOAD_TIMEOUT_MS). */
	readonly loaded: Promise<void>;

	readonly #options: RoomReplicaOptions;
	readonly #doc = new Y.Doc();
	/** The four roots, as the views, the commands and `writeUnsynced` take them. */
	readonly #types: RoomTypes;
	readonly #views: MessageViews;
	readonly #delivery: DeliveryLedger;
	readonly #connection: ConnectionMonitor;
	readonly #presence: PresenceChannel;
	readonly #commands: RoomCommands;
	readonly #persistence: IndexeddbPersistence;
	readonly #store: ReplicaStore;
	/** Null until the IndexedDB replica is loaded (see `#connect`). */
	#provider: RoomProvider | null = null;
	#connecting = false;
	readonly #deviceRegistered: Promise<void>;
	#destroyed = false;
	readonly #cleanups: Array<() => void> = [];
	/** Sealed messages shown before the head's (see `setOlder`). */
	#older: readonly ChatMessage[] = [];
	/** The room's members with their delivery marks (see `setRecipients`), or null. */
	#recipients: readonly Recipient[] | null = null;

	constructor(options: RoomReplicaOptions) {
		this.#options = options;
		const { userId, roomId } = options;
		this.epoch = options.epoch ?? 0;
		this.#types = roomTypesOf(this.#doc);
		this.#views = new MessageViews(userId, options.codec);
		this.#delivery = new DeliveryLedger({
			storageKey: deliveryStorageKey(userId, roomId, this.epoch),
			storage: localStorage,
			events: window,
			onChange: () => this.#refreshMessages(false)
		});
		this.#connection = new ConnectionMonitor({
			network: browserNetwork,
			onEpochChanged: () => this.#options.onEpochChanged?.(this)
		});
		this.firstSync = this.#connection.firstSync;
		this.#presence = new PresenceChannel(this.#doc, {
			id: userId,
			name: options.userName ?? userId
		});
		this.#commands = new RoomCommands({
			doc: this.#doc,
			types: this.#types,
			userId,
			roomId,
			signer: deviceSigner(userId),
			maxMessageChars: options.maxMessageChars,
			messages: () => this.messages,
			addOwnClient: (client) => this.#delivery.addOwnClient(client),
			stopTyping: () => this.#presence.setTyping(false),
			reactionToggled: (key, removedTs) =>
				noteReactionRemoved(userId, roomId, this.epoch, key, removedTs),
			...(options.codec ? { codec: options.codec } : {})
		});

		this.#listenToTransactions();
		// Read alongside the replica: the socket waits for it only on a device's first visits.
		this.#deviceRegistered = deviceRegistered(userId);
		this.#persistence = new IndexeddbPersistence(
			replicaDatabaseName(userId, roomId, this.epoch),
			this.#doc
		);
		this.#store = new ReplicaStore(this.#persistence, this.#doc);
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
			const mark = this.#commands.ownReadMark();
			this.readBaseline =
				options.readBaseline !== undefined
					? options.readBaseline
					: this.#types.messages.length === 0 && mark === null
						? null
						: { upTo: mark?.upTo ?? null };
			this.loadedLocally = true;
			this.#connect();
		});
		this.#refreshMessages();
	}

	/** "Online", "Offline", "Connecting…" or "Server unreachable". */
	get status(): ConnectionStatus {
		return this.#connection.status;
	}

	/** Why the server closed the connection for good (e.g. membership removed), if it did. */
	get accessError(): string | null {
		return this.#connection.accessError;
	}

	/** True once the server said this tab's protocol version is too old (reload to update). */
	get outdated(): boolean {
		return this.#connection.outdated;
	}

	/** True once the server's first sync arrived (what came before is not "new" to notify). */
	get syncedOnce(): boolean {
		return this.#connection.syncedOnce;
	}

	/** True once the server said this replica's epoch is not the room's head any more (4409). */
	get epochChanged(): boolean {
		return this.#connection.epochChanged;
	}

	/** Who has the room open now (this user included), with whether they are typing. */
	get peers(): readonly Peer[] {
		return this.#presence.peers;
	}

	/** Messages in the head's array (sealed ones not counted). */
	get headLength(): number {
		return this.#types.messages.length;
	}

	/** True while some of the replica could not be stored for want of space (kept in memory). */
	get storageFull(): boolean {
		return this.#store.full;
	}

	/** Whether `bytes` more fit in this browser's storage now (replica-store.svelte.ts). */
	hasRoomFor(bytes: number): Promise<boolean> {
		return this.#store.hasRoomFor(bytes);
	}

	send(draft: string, replyTo?: string): SendResult {
		return this.#commands.send(draft, replyTo);
	}

	checkText(draft: string): TextCheck {
		return this.#commands.checkText(draft);
	}

	push(message: ChatMessage, fileKeys?: readonly FileKey[]): void {
		this.#commands.push(message, fileKeys);
	}

	edit(messageId: string, draft: string): SendResult {
		return this.#commands.edit(messageId, draft);
	}

	remove(messageId: string): boolean {
		return this.#commands.remove(messageId);
	}

	toggleReaction(messageId: string, emoji: string): void {
		this.#commands.toggleReaction(messageId, emoji);
	}

	markRead(seesLatest: () => boolean): void {
		this.#commands.markRead(seesLatest);
	}

	/** Resolves once every write asked for so far (sends, edits, reactions) is in the document. */
	writesSettled(): Promise<void> {
		return this.#commands.settled();
	}

	/** Whether writes are still on their way into the document (being signed). */
	get writing(): boolean {
		return this.#commands.busy;
	}

	absorb(unsynced: UnsyncedChanges): void {
		this.#commands.absorb(unsynced);
	}

	setTyping(typing: boolean): void {
		this.#presence.setTyping(typing);
	}

	/** Renders again: the room's keys changed (what could not be opened may open now). */
	refresh(): void {
		this.#refreshMessages(false);
	}

	/** Shows `older` (sealed segments' messages, oldest first) before the head's messages. */
	setOlder(older: readonly ChatMessage[]): void {
		if (older === this.#older) return;
		this.#older = older;
		this.#refreshMessages(false);
	}

	/** The room's members and their delivery marks: own messages' ticks follow the group rule. */
	setRecipients(recipients: readonly Recipient[] | null): void {
		if (recipients === this.#recipients) return;
		this.#recipients = recipients;
		this.#refreshMessages(false);
	}

	/** "Message info": each other member's delivered and read times, or null (unknown message). */
	infoOf(messageId: string, recipients: readonly Recipient[]): InfoRow[] | null {
		return this.#views.infoOf(this.#types, messageId, recipients);
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
		this.#connection.destroy();
		this.#commands.destroy();
		this.#delivery.destroy();
		for (const cleanup of this.#cleanups.splice(0)) cleanup();
		this.#provider?.destroy();
		this.#presence.destroy();
		this.#store.destroy();
		void this.#persistence.destroy();
		this.#doc.destroy();
	}

	/**
	 * One refresh per transaction that touched the room's types (observing each type would
	 * refresh once per type changed, e.g. twice when the replica loads).
	 */
	#listenToTransactions(): void {
		const { messages, reads, changes, reactions } = this.#types;
		const observed: readonly unknown[] = [messages, reads, changes, reactions];
		const reactionsType: unknown = reactions;
		const onTransaction = (transaction: Y.Transaction): void => {
			let touched = false;
			let reactionsChanged = false;
			for (const type of transaction.changed.keys()) {
				if (observed.includes(type)) touched = true;
				if (type === reactionsType) reactionsChanged = true;
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
	 * the server (nor to other tabs) as one big update. And once this browser's device is
	 * registered: what it signed offline under its key's id must not reach the gate first.
	 */
	#connect(): void {
		if (this.#connecting) return;
		this.#connecting = true;
		void this.#deviceRegistered.then(() => {
			if (!this.#destroyed) this.#openSocket();
		});
	}

	#openSocket(): void {
		if (this.#provider) return;
		const provider = new RoomProvider(
			`${this.#options.wsOrigin}/sync`,
			this.#options.roomId,
			this.#doc,
			{ awareness: this.#presence.awareness, epoch: this.epoch }
		);
		provider.messageHandlers[MessageType.STORED] = (_encoder, decoder) => {
			this.#delivery.recordStored(decodeStoredClocks(decoding.readVarUint8Array(decoder)));
		};
		this.#provider = provider;
		this.#connection.attach(provider);
	}

	/** `reactionsChanged: false` when the reactions map is known not to have changed. */
	#refreshMessages(reactionsChanged = true): void {
		const { views, pending, older } = this.#views.derive(
			this.#types,
			this.#delivery.state,
			reactionsChanged,
			this.#older,
			this.#recipients
		);
		this.messages = views;
		this.olderCount = older;
		this.pendingCount = pending;
		this.ownUpTo = this.#commands.ownReadMark()?.upTo ?? null;
	}
}
