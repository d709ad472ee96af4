import * as awarenessProtocol from 'y-protocols/awareness';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/protocol/wire';
import {
	ProtocolError,
	decodeMessage,
	dispatchMessage,
	encodeAwareness,
	encodePermissionDenied,
	encodeQueryAwareness,
	encodeStoredReceipt,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeUpdate,
	type MessageHandler
} from '../../sync-server/protocol';

function docWithMessage(text: string): Y.Doc {
	const doc = new Y.Doc();
	doc.getArray('messages').push([{ id: crypto.randomUUID(), author: 'u1', text, ts: 1 }]);
	return doc;
}

describe('protocol', () => {
	it('round-trips sync step 1 as the state vector of the doc', () => {
		const doc = docWithMessage('hi');
		const message = decodeMessage(encodeSyncStep1(doc));
		expect(message).toEqual({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) });
	});

	it('round-trips sync step 2 with exactly what the peer lacks', () => {
		const doc = docWithMessage('hi');
		const peer = new Y.Doc();
		const message = decodeMessage(encodeSyncStep2(doc, Y.encodeStateVector(peer)));
		if (message.type !== 'sync-step2') throw new Error(`got ${message.type}`);
		Y.applyUpdate(peer, message.update);
		expect(peer.getArray('messages').toJSON()).toEqual(doc.getArray('messages').toJSON());
	});

	it('passes an update through byte for byte', () => {
		const update = Y.encodeStateAsUpdate(docWithMessage('x'));
		const message = decodeMessage(encodeUpdate(update));
		expect(message.type).toBe('update');
		expect(message.type === 'update' && Buffer.from(message.update).equals(update)).toBe(true);
	});

	it('round-trips awareness updates and the awareness query', () => {
		const doc = new Y.Doc();
		const awareness = new awarenessProtocol.Awareness(doc);
		awareness.setLocalState({ user: { id: 'u1', name: 'Ann' } });
		const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
		expect(decodeMessage(encodeAwareness(update))).toEqual({ type: 'awareness', update });
		expect(decodeMessage(encodeQueryAwareness())).toEqual({ type: 'query-awareness' });
		awareness.destroy();
	});

	it('encodes permission denied as the y-protocols auth message with its reason', () => {
		const frame = encodePermissionDenied('message author must be the sender');
		expect(frame[0]).toBe(MessageType.AUTH);
		expect(decodeMessage(frame)).toEqual({
			type: 'permission-denied',
			reason: 'message author must be the sender'
		});
	});

	it('encodes the STORED receipt as a state vector Y.decodeStateVector can read', () => {
		const entries = new Map([
			[12345, 7],
			[99, 1]
		]);
		const frame = encodeStoredReceipt(entries);
		expect(frame[0]).toBe(MessageType.STORED);
		// The payload is a varUint8Array holding exactly Y.encodeStateVector's bytes.
		const payload = frame.subarray(2);
		expect(frame[1]).toBe(payload.length);
		expect(Y.decodeStateVector(payload)).toEqual(entries);
		expect(decodeMessage(frame)).toEqual({ type: 'stored', stateVector: entries });
	});

	it('rejects truncated frames and unknown types with a ProtocolError', () => {
		const step1 = encodeSyncStep1(docWithMessage('x'));
		expect(() => decodeMessage(step1.subarray(0, step1.length - 1))).toThrow(ProtocolError);
		expect(() => decodeMessage(new Uint8Array([42]))).toThrow(ProtocolError);
		expect(() => decodeMessage(new Uint8Array([0, 9, 0]))).toThrow(ProtocolError);
		expect(() => decodeMessage(new Uint8Array([]))).toThrow(ProtocolError);
	});

	it('dispatches client messages to the matching handler and refuses server-only ones', () => {
		const calls: string[] = [];
		const handler: MessageHandler = {
			onSyncStep1: () => calls.push('step1'),
			onUpdate: (_update, kind) => calls.push(kind),
			onAwareness: () => calls.push('awareness'),
			onQueryAwareness: () => calls.push('query')
		};
		const doc = docWithMessage('x');
		dispatchMessage(encodeSyncStep1(doc), handler);
		dispatchMessage(encodeSyncStep2(doc), handler);
		dispatchMessage(encodeUpdate(Y.encodeStateAsUpdate(doc)), handler);
		dispatchMessage(encodeQueryAwareness(), handler);
		expect(calls).toEqual(['step1', 'sync-step2', 'update', 'query']);
		expect(() => dispatchMessage(encodeStoredReceipt(new Map()), handler)).toThrow(ProtocolError);
		expect(() => dispatchMessage(encodePermissionDenied('no'), handler)).toThrow(ProtocolError);
	});
});
