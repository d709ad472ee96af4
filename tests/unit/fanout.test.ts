/**
 * Fan-out: the updates committed in one flush reach each socket as ONE frame, built once and
 * written as the same bytes to every socket; a lone update is not echoed to its sender.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import * as Y from 'yjs';
import type { Db } from '../../src/lib/server/storage/sqlite/db';
import { InProcessBus } from '../../sync-server/bus';
import { decodeMessage, encodeUpdate } from '../../sync-server/protocol';
import type { Connection } from '../../sync-server/room';
import { RoomHub } from '../../sync-server/rooms';
import { SharedFrame, encodeWebSocketFrame } from '../../sync-server/shared-frame';
import type { SyncSocket } from '../../sync-server/types';
import { messageTexts, messageUpdate } from '../support/messages';
import { createRoomIn, openTempDatabase, type TempDatabase } from '../support/temp-db';
import { waitFor } from '../support/wait';

/** A socket with the shared-frame fast path: records what it was given, as bytes. */
class RawSocket implements SyncSocket {
	readonly plain: Uint8Array[] = [];
	readonly shared: SharedFrame[] = [];
	bufferedAmount = 0;
	send(data: Uint8Array): void {
		this.plain.push(data);
	}
	sendShared(frame: SharedFrame): void {
		this.shared.push(frame);
	}
	close(): void {}
	/** Updates received through the shared path, decoded. */
	sharedUpdates(): Uint8Array[] {
		return this.shared.flatMap((frame) => {
			const message = decodeMessage(frame.data);
			return message.type === 'update' ? [message.update] : [];
		});
	}
}

/**
 * Writes `bytes` raw onto a real server-side socket and returns what a real ws client decodes
 * from them (server frames are unmasked, so a client reads them as they are).
 */
async function readFrames(bytes: Buffer): Promise<Buffer[]> {
	const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
	await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
	const address = wss.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	const client = new WebSocket(`ws://127.0.0.1:${port}`);
	const messages: Buffer[] = [];
	try {
		const received = new Promise<void>((resolve) =>
			client.on('message', (data: Buffer) => {
				messages.push(data);
				resolve();
			})
		);
		const server = await new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
		(server as unknown as { _socket: Duplex })._socket.write(bytes);
		await received;
		return messages;
	} finally {
		client.terminate();
		await new Promise<void>((resolve) => wss.close(() => resolve()));
	}
}

let temp: TempDatabase;
let db: Db;
let hub: RoomHub;
let roomId: string;

beforeEach(async () => {
	temp = openTempDatabase('parley-fanout-', ['alice', 'bob', 'carol']);
	db = temp.db;
	roomId = await createRoomIn(db, 'alice', 'room');
	hub = new RoomHub({
		roomLog: temp.storage.roomLog,
		bus: new InProcessBus(),
		config: { MAX_MESSAGE_CHARS: 4000, COMPACT_AFTER_UPDATES: 500, ROOM_IDLE_UNLOAD_MS: 60_000 },
		log: pino({ level: 'silent' })
	});
});

afterEach(async () => {
	await hub.shutdown();
	temp.dispose();
});

async function connect(
	userId: string
): Promise<{ socket: RawSocket; connection: Connection; doc: Y.Doc }> {
	const socket = new RawSocket();
	const connection = await hub.connect(roomId, socket, { userId, username: userId });
	return { socket, connection, doc: new Y.Doc() };
}

describe('fan-out', () => {
	it('sends the updates of one flush to each socket as one merged frame, the same object for all', async () => {
		const alice = await connect('alice');
		const bob = await connect('bob');
		const carol = await connect('carol');
		alice.connection.receive(encodeUpdate(messageUpdate(alice.doc, 'alice', 'one')));
		bob.connection.receive(encodeUpdate(messageUpdate(bob.doc, 'bob', 'two')));
		alice.connection.receive(encodeUpdate(messageUpdate(alice.doc, 'alice', 'three')));
		await hub.flush();

		expect(carol.socket.shared).toHaveLength(1);
		expect(messageTexts(carol.socket.sharedUpdates()).sort()).toEqual(['one', 'three', 'two']);
		// Several senders: everyone gets the merged frame (Yjs ignores a sender's own items).
		expect(alice.socket.shared).toEqual(carol.socket.shared);
		expect(bob.socket.shared[0]).toBe(carol.socket.shared[0]);
	});

	it('forwards a lone update as is to everyone but its sender', async () => {
		const alice = await connect('alice');
		const bob = await connect('bob');
		const update = messageUpdate(alice.doc, 'alice', 'solo');
		alice.connection.receive(encodeUpdate(update));
		await hub.flush();

		expect(bob.socket.sharedUpdates()).toEqual([update]);
		expect(alice.socket.shared).toHaveLength(0);
	});

	it('merges commits into fewer frames while forwarding would saturate the process, losing none', async () => {
		const alice = await connect('alice');
		const bob = await connect('bob');
		// Each write takes 30 ms: forwarding every back-to-back commit at once would take nearly all
		// the time. (The share is write / (write + commit), so the write must dwarf a commit even on
		// a loaded machine: at 4 ms, a commit slower than 1.7 ms kept the room below MERGE_ABOVE.)
		const record = bob.socket.sendShared.bind(bob.socket);
		bob.socket.sendShared = (frame) => {
			const until = performance.now() + 30;
			while (performance.now() < until) {
				/* a slow socket write */
			}
			record(frame);
		};
		const texts = Array.from({ length: 8 }, (_, i) => `m${i}`);
		for (const text of texts) {
			alice.connection.receive(encodeUpdate(messageUpdate(alice.doc, 'alice', text)));
			await hub.flush();
		}
		// The first commits went out at once; then they waited and were merged.
		expect(bob.socket.shared.length).toBeGreaterThan(0);
		expect(bob.socket.shared.length).toBeLessThan(texts.length);
		await waitFor(
			'every message forwarded',
			() => messageTexts(bob.socket.sharedUpdates()).length === texts.length
		);
		expect(messageTexts(bob.socket.sharedUpdates()).sort()).toEqual(texts);
		expect(bob.socket.shared.length).toBeLessThan(texts.length);
	});

	it('falls back to send() for sockets without the fast path', async () => {
		const alice = await connect('alice');
		const plain: Uint8Array[] = [];
		await hub.connect(
			roomId,
			{ send: (d) => plain.push(d), close: () => {}, bufferedAmount: 0 },
			{
				userId: 'bob',
				username: 'bob'
			}
		);
		alice.connection.receive(encodeUpdate(messageUpdate(alice.doc, 'alice', 'hello')));
		await hub.flush();
		const updates = plain.flatMap((frame) => {
			const message = decodeMessage(frame);
			return message.type === 'update' ? [message.update] : [];
		});
		expect(messageTexts(updates)).toEqual(['hello']);
	});
});

describe('encodeWebSocketFrame', () => {
	it.each([0, 5, 125, 126, 300, 65_535, 65_536, 200_000])(
		'builds a frame ws decodes back to the same %i-byte binary message',
		async (size) => {
			const payload = Buffer.alloc(size, 7);
			if (size > 0) payload[size - 1] = 42;
			const messages = await readFrames(encodeWebSocketFrame(payload));
			expect(messages).toHaveLength(1);
			expect(messages[0]?.equals(payload)).toBe(true);
		}
	);

	it('builds the wire bytes of a shared frame once', async () => {
		const frame = new SharedFrame(new Uint8Array([0, 2, 1, 0]));
		expect(frame.wire).toBe(frame.wire);
	});
});
