/**
 * An answer sent before the request body was read (a 413 past the route's limit, a 401/403 to
 * an upload) leaves the rest of the body on the wire. Closing the socket then makes the kernel
 * send a reset, and a client that is still sending loses the answer it was sent; waiting for
 * the whole body would let anyone make us read 25 MiB. So, like Apache's and nginx's "lingering
 * close", we keep the connection and discard what still arrives (nothing is buffered), and
 * close it once more than `maxBytes` arrived or after `maxMs`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LingerLimits {
	/** Bytes discarded after the answer before the connection is closed. */
	readonly maxBytes: number;
	/** How long the rest of the body may take before the connection is closed, in ms. */
	readonly maxMs: number;
}

/**
 * Long enough for a client to read the answer before a reset can destroy it (the bytes it had
 * already sent, up to its socket buffers, are discarded in microseconds); short enough that
 * nobody makes us read a whole attack body.
 */
export const LINGER_LIMITS: LingerLimits = { maxBytes: 16 * 1024 * 1024, maxMs: 1_000 };

/** Call for every request: once its answer is sent, the unread rest is discarded, bounded. */
export function lingerAfterAnswer(
	req: IncomingMessage,
	res: ServerResponse,
	limits: LingerLimits = LINGER_LIMITS
): void {
	res.once('finish', () => {
		if (req.complete || req.destroyed) return;
		let discarded = 0;
		const cut = (): void => void req.socket.destroy();
		const timer = setTimeout(cut, limits.maxMs);
		timer.unref();
		req.once('close', () => clearTimeout(timer));
		// The route's own reader (adapter-node's body stream) stops receiving chunks here.
		req.removeAllListeners('data');
		req.on('data', (chunk: Buffer) => {
			discarded += chunk.byteLength;
			if (discarded > limits.maxBytes) cut();
		});
		req.resume();
	});
}
