/**
 * The browser's storage as the local-first promise needs it (docs/design.md, "Local storage"):
 * whether it is persistent (asked for after sign-in or the first offline message, never on page
 * load), and what happens when it is full (QuotaExceededError): writes are checked, what could
 * not be written stays in memory and is written again when space returns.
 */

/** What the composer says when a message cannot be kept offline. */
export const COULD_NOT_KEEP_OFFLINE =
	'This message could not be kept offline: this browser’s storage is full. Your draft is still here; send it when you are back online or after freeing space (Settings › Storage).';

/** How often writes that failed for want of space are tried again, in ms. */
export const RETRY_FULL_MS = 5_000;

export function isQuotaError(error: unknown): boolean {
	return (
		typeof error === 'object' &&
		error !== null &&
		'name' in error &&
		(error as { name: unknown }).name === 'QuotaExceededError'
	);
}

/**
 * Runs `write` in one read-write transaction on `stores` and resolves once it is COMMITTED. A
 * full disk shows at commit (the transaction aborts with QuotaExceededError), not at the
 * request: this rejects with the transaction's error then, and nothing of it is stored.
 */
export function writeTransaction(
	db: IDBDatabase,
	stores: string | string[],
	write: (transaction: IDBTransaction) => void
): Promise<void> {
	return new Promise((resolve, reject) => {
		let transaction: IDBTransaction;
		try {
			transaction = db.transaction(stores, 'readwrite');
			write(transaction);
		} catch (error) {
			reject(error instanceof Error ? error : new Error(String(error)));
			return;
		}
		transaction.oncomplete = () => resolve();
		transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB write aborted'));
		transaction.onerror = (event) => event.preventDefault();
	});
}

/** Whether this origin's storage is persistent; asks the browser once per page at most. */
class StoragePersistence {
	/** true / false once known; null where the Storage API is missing. */
	persisted: boolean | null = $state(null);
	/** How many times this page asked the browser (tests read it). */
	requests = $state(0);

	async refresh(): Promise<boolean | null> {
		const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
		if (!storage?.persisted) return (this.persisted = null);
		this.persisted = await storage.persisted().catch(() => null);
		return this.persisted;
	}

	/**
	 * Asks for persistent storage unless it is persistent already or was asked for on this page.
	 * Call it at a moment the user acts (sign-in, a message kept offline), never on page load.
	 */
	async request(): Promise<boolean | null> {
		const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
		if (!storage?.persist) return null;
		if ((await this.refresh()) === true || this.requests > 0) return this.persisted;
		this.requests++;
		this.persisted = await storage.persist().catch(() => false);
		return this.persisted;
	}
}

export const storagePersistence = new StoragePersistence();
