/**
 * A sync client for tests: the UNMODIFIED y-websocket WebsocketProvider, in Node, with the
 * session cookie added by a `ws` WebSocket subclass (browsers send cookies themselves).
 *
 *   const alice = connectClient({ syncUrl: server.syncUrl, roomId, cookie: api.cookie! });
 *   await alice.waitFor(() => alice.provider.synced, 5000, 'synced');
 *   alice.send('hello');
 *   await alice.waitForStored(5000);
 *   alice.destroy();
 */
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/protocol/wire';
import { signedMessage, type Signer } from './device';

/**
 * Each stock WebsocketProvider listens for the process's 'exit' until it is destroyed (to take
 * its awareness state down); a cluster test holds a few dozen at once. Not a leak: destroy()
 * removes the listener.
 */
process.setMaxListeners(Math.max(process.getMaxListeners(), 100));

export interface ChatMessage {
	readonly id: string;
	readonly author: string;
	readonly text: string;
	readonly ts: number;
}

export interface SyncClientOptions {
	/** ws://host:port/sync */
	readonly syncUrl: string;
	readonly roomId: string;
	/** The Cookie header, e.g. `parley_session=…` (ApiClient.cookie). */
	readonly cookie?: string | null;
	/** The author written into messages by `send` (the user's id). */
	readonly userId?: string;
	/** Sent as the Origin header when set (browsers always send one). */
	readonly origin?: string;
	/** A doc to sync (kept alive by destroy()); default: a fresh one (destroyed by destroy()). */
	readonly doc?: Y.Doc;
	/** Signs what `send` writes, as a browser's device does; absent: unsigned messages. */
	readonly signer?: Signer;
}

export interface SyncClient {
	readonly doc: Y.Doc;
	readonly provider: WebsocketProvider;
	/** The room's `messages` array as plain objects. */
	messages(): ChatMessage[];
	/** Appends a valid message by `userId` to `messages`; returns it. */
	send(text: string): ChatMessage;
	/** Every STORED receipt merged: clientID -> clock up to which the server has committed. */
	readonly stored: Map<number, number>;
	/** Reasons of the permission-denied messages received. */
	readonly denied: string[];
	/** Close events the provider saw (code, reason). */
	readonly closes: { code: number; reason: string }[];
	/** True when every local change of this doc's clientID is covered by a receipt. */
	isStored(): boolean;
	/**
	 * Resolves once `predicate()` holds, re-checked on every doc update, awareness change and
	 * provider event;
	 * rejects at the deadline naming `what`.
	 */
	waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
	/** Waits until `isStored()`. */
	waitForStored(timeoutMs?: number): Promise<void>;
	destroy(): void;
}

export function connectClient(options: SyncClientOptions): SyncClient {
	const { cookie, origin } = options;
	/** `ws`'s WebSocket, with the headers a browser would send. */
	class CookieWebSocket extends WebSocket {
		constructor(url: string | URL, protocols?: string | string[]) {
			const headers: Record<string, string> = {};
			if (cookie) headers.cookie = cookie;
			super(url, protocols, { headers, ...(origin ? { origin } : {}) });
		}
	}

	const doc = options.doc ?? new Y.Doc();
	const stored = new Map<number, number>();
	const denied: string[] = [];
	const closes: { code: number; reason: string }[] = [];
	const listeners = new Set<() => void>();
	const notify = (): void => {
		for (const listener of [...listeners]) listener();
	};

	const provider = new WebsocketProvider(options.syncUrl, options.roomId, doc, {
		WebSocketPolyfill: CookieWebSocket as unknown as typeof globalThis.WebSocket,
		// Two clients in one Node process would otherwise sync through BroadcastChannel, not us.
		disableBc: true,
		maxBackoffTime: 500
	});
	provider.messageHandlers[MessageType.STORED] = (_encoder, decoder) => {
		for (const [client, clock] of Y.decodeStateVector(decoding.readVarUint8Array(decoder))) {
			if (clock > (stored.get(client) ?? 0)) stored.set(client, clock);
		}
		notify();
	};
	const deniedHandler = provider.messageHandlers[2];
	provider.messageHandlers[2] = (encoder, decoder, ...rest) => {
		// Peek at the reason without consuming: y-websocket's own handler reads the message too.
		const peek = decoding.clone(decoder);
		decoding.readVarUint(peek);
		denied.push(decoding.readVarString(peek));
		deniedHandler?.(encoder, decoder, ...rest);
		notify();
	};
	provider.on('connection-close', (event) => {
		if (event) closes.push({ code: event.code, reason: event.reason });
		notify();
	});
	provider.on('status', notify);
	provider.on('sync', notify);
	doc.on('update', notify);
	provider.awareness.on('change', notify);

	const messages = doc.getArray<ChatMessage>('messages');

	const client: SyncClient = {
		doc,
		provider,
		stored,
		denied,
		closes,
		messages: () => messages.toArray(),
		send(text) {
			const unsigned: ChatMessage = {
				id: crypto.randomUUID(),
				author: options.userId ?? 'unknown',
				text,
				ts: Date.now()
			};
			const message = options.signer
				? // A room given with its `?epoch=` query: the signature names the room alone.
					signedMessage(options.signer, options.roomId.split('?')[0] ?? '', unsigned)
				: unsigned;
			messages.push([message]);
			return message;
		},
		isStored() {
			const local = Y.getState(doc.store, doc.clientID);
			return local === 0 || (stored.get(doc.clientID) ?? 0) >= local;
		},
		waitFor(predicate, timeoutMs = 5_000, what = 'condition') {
			return new Promise((resolve, reject) => {
				const check = (): void => {
					let ok = false;
					try {
						ok = predicate();
					} catch {
						ok = false;
					}
					if (ok) {
						cleanup();
						resolve();
					}
				};
				const timer = setTimeout(() => {
					cleanup();
					reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
				}, timeoutMs);
				const cleanup = (): void => {
					clearTimeout(timer);
					listeners.delete(check);
				};
				listeners.add(check);
				check();
			});
		},
		waitForStored(timeoutMs = 5_000) {
			return client.waitFor(() => client.isStored(), timeoutMs, 'STORED receipt');
		},
		destroy() {
			listeners.clear();
			provider.destroy();
			if (!options.doc) doc.destroy();
		}
	};
	return client;
}

/**
 * Connects a registered user (an ApiClient from registeredClient) to `roomId` on `server` as
 * their browser would: their session cookie, their id as author, the server's own origin, and
 * their device's signatures when they have one (signingClient, tests/support/device.ts).
 */
export function connectAs(
	user: { readonly cookie?: string | null; readonly userId: string; readonly signer?: Signer },
	server: { readonly syncUrl: string; readonly url: string },
	roomId: string,
	doc?: Y.Doc
): SyncClient {
	return connectClient({
		syncUrl: server.syncUrl,
		roomId,
		cookie: user.cookie,
		userId: user.userId,
		origin: server.url,
		...(doc ? { doc } : {}),
		...(user.signer ? { signer: user.signer } : {})
	});
}
