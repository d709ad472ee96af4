import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { detachDuringOwnTransactions } from '../../src/lib/client/local-replica';

/** Whether Yjs will encode the transaction: it does when 'update' has listeners after cleanup. */
function encodedOrigins(doc: Y.Doc): unknown[] {
	const origins: unknown[] = [];
	doc.on('afterTransactionCleanup', (transaction) => {
		// Runs right before Yjs checks for 'update' listeners.
		if (doc._observers.has('update')) origins.push(transaction.origin);
	});
	return origins;
}

describe('detachDuringOwnTransactions', () => {
	it('skips encoding the loader’s own transactions and still delivers everyone else’s', () => {
		const doc = new Y.Doc();
		const loader = { name: 'persistence' };
		const stored: unknown[] = [];
		const listener = (_update: Uint8Array, origin: unknown): void => {
			if (origin !== loader) stored.push(origin);
		};
		doc.on('update', listener);
		const encoded = encodedOrigins(doc);
		detachDuringOwnTransactions(doc, loader, listener, () => true);

		const replica = new Y.Doc();
		replica.getArray('messages').push([{ id: 'm1' }]);
		Y.transact(doc, () => Y.applyUpdate(doc, Y.encodeStateAsUpdate(replica)), loader, false);
		// Listening again once the load is done.
		expect(doc._observers.get('update')?.has(listener)).toBe(true);
		doc.transact(() => doc.getArray('messages').push([{ id: 'm2' }]), 'page');

		expect(doc.getArray('messages').length).toBe(2);
		expect(encoded).toEqual(['page']);
		expect(stored).toEqual(['page']);
	});

	it('brings the listener back when another transaction starts while the loader’s is cleaned up', () => {
		const doc = new Y.Doc();
		const loader = {};
		const stored: unknown[] = [];
		const listener = (_update: Uint8Array, origin: unknown): void => void stored.push(origin);
		doc.on('update', listener);
		detachDuringOwnTransactions(doc, loader, listener, () => true);
		// An observer that writes while the loader's transaction is being cleaned up.
		doc.getArray('messages').observe((_event, transaction) => {
			if (transaction.origin === loader) doc.getMap('reads').set('me', 1);
		});

		doc.transact(() => doc.getArray('messages').push(['loaded']), loader);

		expect(doc.getMap('reads').get('me')).toBe(1);
		expect(stored).toContain(null);
	});

	it('does not bring back a listener whose owner has stopped listening', () => {
		const doc = new Y.Doc();
		const loader = {};
		let destroyed = false;
		const listener = (): void => {};
		doc.on('update', listener);
		detachDuringOwnTransactions(doc, loader, listener, () => !destroyed);
		doc.on('afterTransactionCleanup', () => {
			destroyed = true;
			doc.off('update', listener);
		});

		doc.transact(() => doc.getArray('messages').push(['loaded']), loader);

		expect(doc._observers.has('update')).toBe(false);
	});
});
