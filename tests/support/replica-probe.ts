/**
 * Runs in the page, not in Node: pass it to `page.evaluate` or `page.waitForFunction`, which
 * send its source to the browser, so it must stay self-contained (no imports, no helpers).
 * Whether the y-indexeddb replica `name` holds an update containing `text`: message text is
 * stored as UTF-8 inside the Yjs updates, so a byte search finds it.
 */
export async function replicaHoldsText({
	name,
	text
}: {
	name: string;
	text: string;
}): Promise<boolean> {
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const request = indexedDB.open(name);
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(new Error('cannot open the replica'));
	});
	try {
		if (!db.objectStoreNames.contains('updates')) return false;
		const updates = await new Promise<unknown[]>((resolve, reject) => {
			const request = db.transaction('updates').objectStore('updates').getAll();
			request.onsuccess = () => resolve(request.result as unknown[]);
			request.onerror = () => reject(new Error('cannot read the replica'));
		});
		const decoder = new TextDecoder();
		return updates.some(
			(update) => update instanceof Uint8Array && decoder.decode(update).includes(text)
		);
	} finally {
		db.close();
	}
}
