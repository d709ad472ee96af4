/**
 * A raw sync client for adversarial and fuzz tests: a `ws` socket that speaks the y-websocket
 * protocol by hand (lib0 encoding + y-protocols/sync), so it can send what no stock client
 * would. It keeps a Y.Doc of the room (from the server's sync step 2 and updates) to build
 * forgeries against, and records permission-denied reasons and the close.
 */
import Database from 'better-sqlite3';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import { expect } from 'vitest';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/protocol/wire';
import { databaseFile } from '../../src/lib/server/storage/sqlite/db';

const SYNC = MessageType.SYNC;
const AUTH = MessageType.AUTH;

export const REMOTE = Symbol('remote');

export class RawClient {
	readonly doc = new Y.Doc();
	readonly denied: string[] = [];
	closeEvent: { code: number; reason: string } | null = null;
	/** How many sync step 2 answers the server has sent (each step 1 gets one). */
	answers = 0;
	/** Bytes of every frame received, and of the sync step 2 answers among them. */
	bytesReceived = 0;
	step2Bytes = 0;
	#synced = false;
	readonly #listeners = new Set<() => void>();

	private constructor(readonly ws: WebSocket) {
		ws.binaryType = 'nodebuffer';
		ws.on('message', (data: Buffer) => {
			this.bytesReceived += data.byteLength;
			this.#receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
			this.#notify();
		});
		ws.on('close', (code, reason) => {
			this.closeEvent = { code, reason: reason.toString() };
			this.#notify();
		});
		ws.on('error', () => undefined);
	}

	/** Opens a socket to the room with the session cookie and waits until it is open. */
	static open(options: {
		syncUrl: string;
		roomId: string;
		cookie: string;
		origin: string;
		/** A query string for the socket URL, e.g. `?v=1`. */
		query?: string;
	}): Promise<RawClient> {
		const ws = new WebSocket(`${options.syncUrl}/${options.roomId}${options.query ?? ''}`, {
			headers: { cookie: options.cookie },
			origin: options.origin,
			perMessageDeflate: false
		});
		const client = new RawClient(ws);
		return new Promise((resolve, reject) => {
			ws.once('open', () => resolve(client));
			ws.once('unexpected-response', (_request, response) =>
				reject(new Error(`upgrade refused: ${response.statusCode}`))
			);
			ws.once('error', reject);
		});
	}

	get open(): boolean {
		return this.ws.readyState === WebSocket.OPEN;
	}

	/** Sends sync step 1 and waits for the server's step 2 (the room's full state). */
	async sync(timeoutMs = 5_000): Promise<void> {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, SYNC);
		syncProtocol.writeSyncStep1(encoder, this.doc);
		this.send(encoding.toUint8Array(encoder));
		await this.waitFor(() => this.#synced, timeoutMs, 'sync step 2');
	}

	/** Sends `update` as a y-protocols sync update message. */
	sendUpdate(update: Uint8Array): void {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, SYNC);
		syncProtocol.writeUpdate(encoder, update);
		this.send(encoding.toUint8Array(encoder));
	}

	send(frame: Uint8Array): void {
		if (this.open) this.ws.send(frame);
	}

	/** Resolves once `predicate()` holds (checked on every frame and on close). */
	waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
		return new Promise((resolve, reject) => {
			const check = (): void => {
				if (!predicate()) return;
				clearTimeout(timer);
				this.#listeners.delete(check);
				resolve();
			};
			const timer = setTimeout(() => {
				this.#listeners.delete(check);
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
			}, timeoutMs);
			this.#listeners.add(check);
			check();
		});
	}

	close(): void {
		this.ws.terminate();
	}

	#notify(): void {
		for (const listener of [...this.#listeners]) listener();
	}

	#receive(frame: Uint8Array): void {
		try {
			const decoder = decoding.createDecoder(frame);
			const type = decoding.readVarUint(decoder);
			if (type === SYNC) {
				const step = decoding.readVarUint(decoder);
				const payload = decoding.readVarUint8Array(decoder);
				if (step === syncProtocol.messageYjsSyncStep1) return;
				Y.applyUpdate(this.doc, payload, REMOTE);
				if (step === syncProtocol.messageYjsSyncStep2) {
					this.#synced = true;
					this.answers++;
					this.step2Bytes += frame.byteLength;
				}
			} else if (type === AUTH) {
				decoding.readVarUint(decoder);
				this.denied.push(decoding.readVarString(decoder));
			}
		} catch {
			/* other message types (awareness, receipts) do not matter here */
		}
	}
}

/** The update a local change to `doc` produces (what a client would send for it). */
export function captureUpdate(doc: Y.Doc, change: () => void): Uint8Array {
	const before = Y.encodeStateVector(doc);
	doc.transact(change);
	return Y.encodeStateAsUpdate(doc, before);
}

/** The room's stored log, read from the server's SQLite file (read-only). */
export function storedLog(dataDir: string, roomId: string): { rows: number; lastSeq: number } {
	const db = new Database(databaseFile(dataDir), { readonly: true, fileMustExist: true });
	try {
		const rows = db
			.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM room_updates WHERE room_id = ?')
			.get(roomId);
		const room = db
			.prepare<[string], { last_seq: number }>('SELECT last_seq FROM rooms WHERE id = ?')
			.get(roomId);
		return { rows: rows?.n ?? 0, lastSeq: room?.last_seq ?? 0 };
	} finally {
		db.close();
	}
}

/** Everything a replica shows: the room document's four roots as JSON. */
export function replicaView(doc: Y.Doc): { messages: unknown[]; [root: string]: unknown } {
	return {
		messages: doc.getArray('messages').toJSON(),
		changes: doc.getMap('changes').toJSON(),
		reactions: doc.getMap('reactions').toJSON(),
		reads: doc.getMap('reads').toJSON()
	};
}

/**
 * Sends a forgery from `raw` and checks it was refused whole: the sender is told `reason`, the
 * stored log has not moved (the gate runs before anything is queued for storage), and once a
 * fence message from a clean connection (`connectHonest`) reached the observer — after anything
 * the server forwarded earlier would have — the observer's replica shows what it showed before.
 */
export async function expectRefusedWhole(options: {
	readonly raw: RawClient;
	readonly update: Uint8Array;
	readonly reason: string | RegExp;
	readonly observer: {
		readonly doc: Y.Doc;
		waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
	};
	readonly dataDir: string;
	readonly roomId: string;
	readonly connectHonest: () => Promise<RawClient>;
	readonly fence: { readonly id: string };
	/** Each wait's deadline (a loaded machine needs more). */
	readonly timeoutMs?: number;
}): Promise<void> {
	const { raw, observer, dataDir, roomId, fence } = options;
	const before = replicaView(observer.doc);
	const logBefore = storedLog(dataDir, roomId);

	raw.sendUpdate(options.update);
	await raw.waitFor(() => raw.denied.length > 0, options.timeoutMs ?? 5_000, 'permission denied');
	expect(raw.denied[0]).toMatch(options.reason);
	expect(storedLog(dataDir, roomId)).toEqual(logBefore);

	const honest = await options.connectHonest();
	honest.sendUpdate(captureUpdate(honest.doc, () => honest.doc.getArray('messages').push([fence])));
	const hasFence = (): boolean =>
		observer.doc
			.getArray<{ id?: string } | null>('messages')
			.toArray()
			.some((m) => m?.id === fence.id);
	await observer.waitFor(hasFence, options.timeoutMs ?? 5_000, 'the fence message at the observer');
	expect(honest.denied).toEqual([]);
	const after = replicaView(observer.doc);
	expect({
		...after,
		messages: after.messages.filter((m) => (m as { id?: string } | null)?.id !== fence.id)
	}).toEqual(before);
	honest.close();
}
