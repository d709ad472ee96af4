/**
 * One open room page across history epochs (docs/design.md, "History segments (epochs)"): the
 * current epoch's RoomReplica, the sealed segments shown above its messages, and the move to a
 * new head when the server seals (close 4409).
 *
 * The move: read `/history` and the old epoch's sealed state vector, open the new head's replica
 * and let it sync, show the segments the old replica's messages went into, then, under a Web
 * Lock per user and room, write what the server never got (epochs.ts) into the new head, swap
 * the replicas, record the epoch and delete the old replica. The old replica stays on screen
 * until the swap, so the log never empties. A second tab doing the same afterwards finds the old
 * replica gone and the new one (re-read from IndexedDB under the lock) already holding it all.
 */
import * as Y from 'yjs';
import {
	epochToOpen,
	fetchHistory,
	fetchSealedStateVector,
	deliveryStorageKey,
	readRemovedReactions,
	removedReactionsKey,
	readReplicaEpoch,
	rememberReplicaEpoch,
	unsyncedOwnChanges,
	type RoomHistory
} from './epochs';
import { deleteDatabase, readUpdates, replicaDatabaseName, replicaEpochs } from './local-replica';
import type { ChatMessage } from './messages';
import { RoomReplica, type RoomReplicaOptions } from './room.svelte';
import {
	SCREENFUL,
	loadSegment,
	nextOlder,
	readListing,
	saveListing,
	segmentsBefore,
	shownFrom,
	unshownCount,
	type Segment
} from './segments';

export interface RoomSessionOptions extends Omit<
	RoomReplicaOptions,
	'epoch' | 'onEpochChanged' | 'readBaseline'
> {
	/** The head's epoch as the page's data had it (maybe older, from a cached page). */
	readonly pageEpoch: number;
}

/** Retries of a failed move wait this long at first, doubling up to the maximum, in ms. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 15_000;

export class RoomSession {
	#replica: RoomReplica | null = $state.raw(null);
	/** Messages in sealed segments above what the log holds (not loaded yet). */
	olderUnshown = $state(0);
	/** True while a segment above the log can still be loaded. */
	canLoadOlder = $state(false);

	readonly #options: RoomSessionOptions;
	#listing: RoomHistory | null;
	/** Segments loaded so far, by number (bookkeeping; the UI reads the replica's messages). */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- not state the UI reads
	readonly #segments = new Map<number, Segment>();
	#loadingOlder: Promise<boolean> | null = null;
	#moving = false;
	/** The new head's replica while a move prepares it (not shown yet). */
	#incoming: RoomReplica | null = null;
	#destroyed = false;
	readonly #destroyedSignal = new AbortController();

	constructor(options: RoomSessionOptions) {
		this.#options = options;
		const { userId, roomId } = options;
		const stored = readReplicaEpoch(userId, roomId);
		const epoch = epochToOpen(stored, options.pageEpoch);
		if (stored === null) rememberReplicaEpoch(userId, roomId, epoch);
		this.#listing = readListing(userId, roomId);
		const replica = this.#open(epoch);
		this.#replica = replica;
		void this.#start(replica, Math.max(epoch, options.pageEpoch) > 0);
	}

	/** The replica the page shows and writes to. */
	get replica(): RoomReplica {
		if (this.#replica === null) throw new Error('RoomSession: no replica yet');
		return this.#replica;
	}

	/**
	 * Loads the segment right above the log's first message; false when there is none or it
	 * cannot be had (offline and never read here).
	 */
	loadOlder(): Promise<boolean> {
		this.#loadingOlder ??= this.#loadNextOlder().finally(() => {
			this.#loadingOlder = null;
		});
		return this.#loadingOlder;
	}

	destroy(): void {
		this.#destroyed = true;
		this.#destroyedSignal.abort();
		this.#incoming?.destroy();
		this.replica.destroy();
	}

	#open(epoch: number, readBaseline?: RoomReplicaOptions['readBaseline']): RoomReplica {
		return new RoomReplica({
			...this.#options,
			epoch,
			...(readBaseline === undefined ? {} : { readBaseline }),
			onEpochChanged: (replica) => void this.#move(replica)
		});
	}

	async #start(replica: RoomReplica, mayHaveHistory: boolean): Promise<void> {
		await replica.loaded;
		if (this.#destroyed) return;
		this.#showHistory();
		// A room never sealed has no history to list (epoch 0 here and in the page's data; a seal
		// since then closes the socket with 4409, which lists it).
		if (mayHaveHistory || this.#listing !== null) {
			try {
				this.#setListing(await fetchHistory(this.#options.roomId));
			} catch {
				// Offline or the server is away: the saved listing (if any) serves.
			}
		}
		if (replica === this.replica) await this.#fillScreen();
	}

	#setListing(listing: RoomHistory): void {
		this.#listing = listing;
		saveListing(this.#options.userId, this.#options.roomId, listing);
		this.#showHistory();
	}

	/** The segments above the current replica's messages. */
	#older(epoch = this.replica.epoch) {
		return segmentsBefore(this.#listing, epoch);
	}

	/** Puts the loaded segments (an unbroken stretch up to the head) in front of the head. */
	#showHistory(): void {
		const older = this.#older();
		const loaded = this.#loadedNumbers();
		const from = shownFrom(older, loaded);
		const messages: ChatMessage[] = [];
		for (const info of older.slice(from)) {
			const segment = this.#segments.get(info.n);
			if (segment) messages.push(...segment.messages);
		}
		this.replica.setOlder(messages);
		this.olderUnshown = unshownCount(older, loaded);
		this.canLoadOlder = nextOlder(older, loaded) !== null;
	}

	#loadedNumbers(): ReadonlySet<number> {
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup
		return new Set(this.#segments.keys());
	}

	/** A head shorter than a screenful shows the newest segment as well. */
	async #fillScreen(): Promise<void> {
		if (this.replica.headLength >= SCREENFUL || this.replica.olderCount > 0) return;
		await this.loadOlder();
	}

	async #loadNextOlder(): Promise<boolean> {
		const info = nextOlder(this.#older(), this.#loadedNumbers());
		if (info === null) return false;
		try {
			const segment = await loadSegment(this.#options.userId, this.#options.roomId, info);
			if (this.#destroyed) return false;
			this.#segments.set(info.n, segment);
			this.#showHistory();
			return true;
		} catch {
			return false;
		}
	}

	/** Loads every segment at or after `epoch` (before the head): what an old replica showed. */
	async #loadSince(epoch: number, headEpoch: number): Promise<void> {
		for (const info of this.#older(headEpoch)) {
			if (info.epoch < epoch || this.#segments.has(info.n)) continue;
			this.#segments.set(
				info.n,
				await loadSegment(this.#options.userId, this.#options.roomId, info)
			);
		}
	}

	/** The author of a message of a loaded segment. */
	#authorOf(messageId: string): string | undefined {
		for (const segment of this.#segments.values()) {
			const found = segment.messages.find((message) => message.id === messageId);
			if (found) return found.author;
		}
		return undefined;
	}

	/** Moves from `from` (closed with 4409) to the room's head, retrying until it is done. */
	async #move(from: RoomReplica): Promise<void> {
		if (this.#moving || from !== this.replica) return;
		this.#moving = true;
		try {
			for (let attempt = 0; !this.#destroyed; attempt++) {
				try {
					if (await this.#moveOnce(from)) return;
				} catch (error) {
					console.warn('Parley: moving to the new history epoch failed; retrying', error);
				}
				await this.#pause(Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS));
			}
		} finally {
			this.#moving = false;
		}
		// Sealed again while this move was finishing: move on from the new replica too.
		if (!this.#destroyed && this.replica.epochChanged) void this.#move(this.replica);
	}

	/** One try; false (or a throw) to try again later. */
	async #moveOnce(from: RoomReplica): Promise<boolean> {
		const { userId, roomId } = this.#options;
		const listing = await fetchHistory(roomId);
		this.#setListing(listing);
		// The server closed with 4409, so its head is another epoch; until it says so, wait.
		if (listing.epoch <= from.epoch) return false;
		const stateVector = await fetchSealedStateVector(roomId, from.epoch);
		const next = this.#open(listing.epoch, from.readBaseline);
		this.#incoming = next;
		let swapped = false;
		try {
			const outcome = await next.firstSync;
			if (this.#destroyed || outcome === 'destroyed' || outcome === 'epoch-changed') return false;
			if (outcome === 'access-lost') {
				// Removed from the room meanwhile: show that, nothing is moved.
				this.#swap(from, next);
				swapped = true;
				return true;
			}
			// What the old replica showed as its messages is sealed now: show it from the segments.
			await this.#loadSince(from.epoch, next.epoch);
			if (this.#destroyed) return false;
			await navigator.locks.request(`parley:migrate:${userId}:${roomId}`, async () => {
				// Another tab may have moved the old replica already: it is then gone from
				// IndexedDB, and what it wrote is in this epoch's replica.
				await next.reloadLocal();
				const source = new Y.Doc();
				try {
					// A write asked of the old replica is signed before it enters its document: wait
					// until none is on its way, so the move takes it along. Once settled, the rest up
					// to the swap runs in one go: a later send goes into the new head.
					let stored: Uint8Array[] | null;
					do {
						await from.writesSettled();
						stored = await readUpdates(replicaDatabaseName(userId, roomId, from.epoch));
						if (this.#destroyed) return;
					} while (from.writing);
					if (stored !== null) {
						for (const update of stored) Y.applyUpdate(source, update);
						// What this tab holds in memory and may not have stored yet.
						Y.applyUpdate(source, from.snapshot());
					}
					const unsynced = unsyncedOwnChanges(
						source,
						stateVector,
						userId,
						(id) => this.#authorOf(id),
						readRemovedReactions(userId, roomId, from.epoch)
					);
					next.absorb(unsynced);
				} finally {
					source.destroy();
				}
				this.#swap(from, next);
				swapped = true;
				try {
					await next.flushLocal();
					rememberReplicaEpoch(userId, roomId, next.epoch);
					for (const epoch of await replicaEpochs(userId, roomId)) {
						if (epoch >= next.epoch) continue;
						await deleteDatabase(replicaDatabaseName(userId, roomId, epoch));
						localStorage.removeItem(deliveryStorageKey(userId, roomId, epoch));
						localStorage.removeItem(removedReactionsKey(userId, roomId, epoch));
					}
				} catch (error) {
					// The old replica stays, and with it the old epoch: the next open moves it
					// again, and writes nothing twice.
					console.warn('Parley: finishing the move to the new history epoch failed', error);
				}
			});
			return swapped;
		} finally {
			this.#incoming = null;
			if (!swapped) next.destroy();
		}
	}

	/** The page shows and writes to `next` from now on. */
	#swap(from: RoomReplica, next: RoomReplica): void {
		this.#incoming = null;
		this.#replica = next;
		this.#showHistory();
		from.destroy();
	}

	/** Waits `ms`, or less when the browser comes back online or the session ends. */
	#pause(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const done = (): void => {
				clearTimeout(timer);
				window.removeEventListener('online', done);
				this.#destroyedSignal.signal.removeEventListener('abort', done);
				resolve();
			};
			const timer = setTimeout(done, ms);
			window.addEventListener('online', done);
			this.#destroyedSignal.signal.addEventListener('abort', done);
		});
	}
}
