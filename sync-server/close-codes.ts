/** Every WebSocket close code the sync server uses, in one place. */
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
	/** Too many updates per second, repeatedly. */
	RATE_LIMITED: 4429
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
