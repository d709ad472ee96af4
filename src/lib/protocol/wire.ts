/**
 * The wire contract between the browser and the sync server, imported by both sides: the
 * message types, the close codes and the protocol version. docs/design.md, "Sync server",
 * describes each; change the two together.
 *
 * Browser-safe: no Node-only imports.
 */

/**
 * Parley's protocol version. A client names the version it speaks in the socket URL
 * (`/sync/<roomId>?v=<n>`); the server accepts `MIN_CLIENT_PROTOCOL_VERSION` and newer, and a
 * socket without `v` (a stock y-websocket client) as speaking the stock protocol. Raise
 * PROTOCOL_VERSION when the client starts relying on something new from the server; raise
 * MIN_CLIENT_PROTOCOL_VERSION when the server stops serving what older tabs rely on (they are
 * then closed with `CloseCode.CLIENT_OUTDATED` and offer a reload).
 */
export const PROTOCOL_VERSION = 1;
export const MIN_CLIENT_PROTOCOL_VERSION = 1;

/** The socket URL's query parameter carrying the client's protocol version. */
export const PROTOCOL_VERSION_PARAM = 'v';

/** Top-level message types. 0–3 are y-websocket's; ours start at 100 so they never collide. */
export const MessageType = {
	SYNC: 0,
	AWARENESS: 1,
	AUTH: 2,
	QUERY_AWARENESS: 3,
	/**
	 * Server -> client: "these changes are durably committed". Payload: one varUint8Array
	 * holding a state vector encoded like `Y.encodeStateVector` (decode with
	 * `Y.decodeStateVector`). For each clientID listed, every struct with clock < value is
	 * committed. Stock y-websocket clients log and ignore unknown types.
	 */
	STORED: 100
} as const;

export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Every WebSocket close code the sync server uses. y-websocket does not reconnect after a
 * code in 4400–4499; it does after the others.
 */
export const CloseCode = {
	/** The server is shutting down or restarting: reconnect (to another instance). */
	SERVICE_RESTART: 1012,
	/** Something broke on our side. */
	INTERNAL_ERROR: 1011,
	/**
	 * The socket's send buffer passed the bound (a slow or stalled client): close instead of
	 * growing memory. Outside 4400–4499 on purpose, so y-websocket reconnects and resyncs.
	 */
	SLOW_CONSUMER: 1013,
	/** A frame that does not parse as a protocol message; a stock client never sends one. */
	MALFORMED_MESSAGE: 4400,
	/** The session expired or was logged out. */
	UNAUTHORIZED: 4401,
	/** Repeated gate refusals, or the user is no longer a member of the room. */
	FORBIDDEN: 4403,
	/**
	 * The room's head is another epoch than the socket's (it was sealed, or the client asked
	 * for an old one): fetch /api/rooms/:id/history, move what the server lacks, reconnect.
	 */
	EPOCH_CHANGED: 4409,
	/** A frame larger than MAX_FRAME_BYTES. */
	FRAME_TOO_LARGE: 4413,
	/**
	 * The client speaks a protocol version older than MIN_CLIENT_PROTOCOL_VERSION: the tab
	 * runs an old build and must reload.
	 */
	CLIENT_OUTDATED: 4426,
	/** Too many updates per second, repeatedly. */
	RATE_LIMITED: 4429
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which the server will not let this session back into the room. */
export const ACCESS_LOST_CLOSE_CODES: ReadonlySet<number> = new Set([
	CloseCode.UNAUTHORIZED,
	CloseCode.FORBIDDEN
]);

/**
 * The protocol version in a socket URL's query: `undefined` when absent (a stock client),
 * null when it is not exactly one plain decimal number.
 */
export function parseProtocolVersion(search: URLSearchParams): number | undefined | null {
	const values = search.getAll(PROTOCOL_VERSION_PARAM);
	if (values.length === 0) return undefined;
	const [value] = values;
	if (values.length > 1 || value === undefined || !/^[0-9]{1,6}$/.test(value)) return null;
	return Number(value);
}

/** Whether the server serves a client that names `version` (undefined: stock client). */
export function isClientVersionSupported(version: number | undefined): boolean {
	return version === undefined || version >= MIN_CLIENT_PROTOCOL_VERSION;
}
