/**
 * Writes a room replica's updates into its y-indexeddb database as y-indexeddb does, but CHECKS
 * each write (docs/design.md, "Local storage"). y-indexeddb's own write is fire and forget: a
 * full disk (QuotaExceededError at commit) would lose the update from disk without a word. Here
 * a failed write is kept in memory (`full` turns true) and written again, merged with what
 * followed, every RETRY_FULL_MS and on the next write; once it commits, `full` is false again.
 * A failed transaction stores nothing, so what is stored is never corrupted: at worst an update
 * that builds on a missing one waits (Yjs keeps it pending) until the missing one is written.
 */
import * as Y from 'yjs';
import { PREFERRED_TRIM_SIZE, storeState, type IndexeddbPersistence } from 'y-indexeddb';
import { RETRY_FULL_MS, isQuotaError, writeTransaction } from './storage-space.svelte';

const UPDATES = 'updates';
const CUSTOM = 'custom';
const PROBE_KEY = 'parley:space-probe';
/** y-indexeddb merges its stored updates into one after this pause (its own value). */
const TRIM_DELAY_MS = 1_000;

export class ReplicaStore {
	/** True while something could not be written for want of space. */
	full = $state(false);
	readonly #persistence: IndexeddbPersistence;
	readonly #doc: Y.Doc;
	#unsaved: Uint8Array[] = [];
	#writing = false;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#trimTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;

	/** Takes over y-indexeddb's `update` listener (before anything else wraps it). */
	constructor(persistence: IndexeddbPersistence, doc: Y.Doc) {
		this.#persistence = persistence;
		this.#doc = doc;
		doc.off('update', persistence._storeUpdate);
		persistence._storeUpdate = this.#store;
		doc.on('update', this.#store);
	}

	/**
	 * Whether `bytes` more can be stored now: a probe of that size is written and deleted. False
	 * while earlier writes still wait for space and this one does not fit either.
	 */
	async hasRoomFor(bytes: number): Promise<boolean> {
		const db = await this.#persistence._db;
		try {
			await writeTransaction(db, CUSTOM, (tx) =>
				tx.objectStore(CUSTOM).put(new Uint8Array(bytes), PROBE_KEY)
			);
			await writeTransaction(db, CUSTOM, (tx) => tx.objectStore(CUSTOM).delete(PROBE_KEY));
		} catch (error) {
			if (isQuotaError(error)) {
				this.full = true;
				return false;
			}
			throw error;
		}
		if (this.#unsaved.length > 0) await this.#flush();
		return this.#unsaved.length === 0;
	}

	destroy(): void {
		this.#destroyed = true;
		this.#doc.off('update', this.#store);
		if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
		if (this.#trimTimer !== null) clearTimeout(this.#trimTimer);
	}

	readonly #store = (update: Uint8Array, origin: unknown): void => {
		const persistence = this.#persistence;
		// Before the database is open y-indexeddb stores the whole doc once loaded (as it does).
		if (persistence.db === null || origin === persistence || this.#destroyed) return;
		this.#unsaved.push(update);
		void this.#flush();
		if (++persistence._dbsize >= PREFERRED_TRIM_SIZE) this.#trimSoon();
	};

	/** Writes everything unsaved as one update, in order; on failure keeps it for later. */
	async #flush(): Promise<void> {
		if (this.#writing || this.#unsaved.length === 0 || this.#destroyed) return;
		const db = this.#persistence.db;
		if (db === null) return;
		this.#writing = true;
		const batch = this.#unsaved;
		this.#unsaved = [];
		const update = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
		try {
			await writeTransaction(db, UPDATES, (tx) => tx.objectStore(UPDATES).add(update));
			if (this.#unsaved.length === 0) this.full = false;
		} catch (error) {
			this.#unsaved = [update, ...this.#unsaved];
			if (isQuotaError(error)) this.full = true;
			else console.warn('Parley: storing the replica failed; retrying', error);
			this.#retrySoon();
		} finally {
			this.#writing = false;
		}
		if (this.#unsaved.length > 0 && !this.full) void this.#flush();
	}

	#retrySoon(): void {
		if (this.#retryTimer !== null || this.#destroyed) return;
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = null;
			void this.#flush();
		}, RETRY_FULL_MS);
	}

	#trimSoon(): void {
		if (this.#trimTimer !== null) clearTimeout(this.#trimTimer);
		this.#trimTimer = setTimeout(() => {
			this.#trimTimer = null;
			// One transaction (add the whole state, delete what it covers): all or nothing.
			if (!this.#destroyed) storeState(this.#persistence, false).catch(() => undefined);
		}, TRIM_DELAY_MS);
	}
}
