/**
 * Room documents as tests build and read them: an update appending one message, and the texts
 * a list of updates adds up to.
 */
import * as Y from 'yjs';

/** A Yjs update appending one message by `author` to `doc` (the client that sends it). */
export function messageUpdate(
	doc: Y.Doc,
	author: string,
	text: string,
	ts = Date.now()
): Uint8Array {
	const before = Y.encodeStateVector(doc);
	doc.getArray('messages').push([{ id: crypto.randomUUID(), author, text, ts }]);
	return Y.encodeStateAsUpdate(doc, before);
}

/** The message texts, in order, of a fresh document with `updates` applied. */
export function messageTexts(updates: Iterable<Uint8Array>): string[] {
	const doc = new Y.Doc();
	for (const update of updates) Y.applyUpdate(doc, update);
	return doc
		.getArray<{ text: string }>('messages')
		.toArray()
		.map((m) => m.text);
}

/**
 * A message id (a UUID, as the schema wants) named by a short label, the same for the same
 * label: `messageId('m1')` in a fixture and in an expectation are one id.
 */
export function messageId(label: string): string {
	const hex = [...label].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
	if (hex.length > 12) throw new Error(`label too long for a message id: ${label}`);
	return `00000000-0000-4000-8000-${hex.padStart(12, '0')}`;
}
