/**
 * One IndexedDB object store as a small key-value store (out-of-line keys), opened per call:
 * for the few values a page keeps between visits (device-keys.ts, author-keys.ts,
 * contact-trust.ts). Values are
 * read back as `unknown`: callers parse them.
 */
import { requestResult } from './local-replica';

export interface KeyValueStore {
	get(key: string): Promise<unknown>;
	put(key: string, value: unknown): Promise<void>;
}

export function keyValueStore(databaseName: string, storeName: string): KeyValueStore {
	const open = async (): Promise<IDBDatabase> => {
		const request = indexedDB.open(databaseName, 1);
		request.onupgradeneeded = () => request.result.createObjectStore(storeName);
		return requestResult(request);
	};
	return {
		async get(key) {
			const db = await open();
			try {
				return await requestResult(
					db.transaction(storeName, 'readonly').objectStore(storeName).get(key)
				);
			} finally {
				db.close();
			}
		},
		async put(key, value) {
			const db = await open();
			try {
				await requestResult(
					db.transaction(storeName, 'readwrite').objectStore(storeName).put(value, key)
				);
			} finally {
				db.close();
			}
		}
	};
}
