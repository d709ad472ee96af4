/**
 * One outgoing message written to many sockets. Server-to-client WebSocket frames are not
 * masked, so the whole frame (header + payload) is the same bytes for every recipient: it is
 * built once, on first use, and a socket that can write raw bytes writes exactly that buffer
 * (one write per socket, no per-socket framing). Sockets that cannot (test fakes) get `data`.
 */

/** FIN + opcode 2 (binary): a complete, unfragmented binary message. */
const FIN_BINARY = 0x82;

/** The WebSocket frame (RFC 6455 §5.2, unmasked) carrying `payload` as one binary message. */
export function encodeWebSocketFrame(payload: Uint8Array): Buffer {
	const length = payload.byteLength;
	const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
	const frame = Buffer.allocUnsafe(headerLength + length);
	frame[0] = FIN_BINARY;
	if (length < 126) {
		frame[1] = length;
	} else if (length < 65_536) {
		frame[1] = 126;
		frame.writeUInt16BE(length, 2);
	} else {
		frame[1] = 127;
		frame.writeBigUInt64BE(BigInt(length), 2);
	}
	frame.set(payload, headerLength);
	return frame;
}

export class SharedFrame {
	#wire: Buffer | undefined;

	/** `data` is the protocol message (what `SyncSocket.send` takes). */
	constructor(readonly data: Uint8Array) {}

	/** The complete WebSocket frame, built once for all recipients. */
	get wire(): Buffer {
		this.#wire ??= encodeWebSocketFrame(this.data);
		return this.#wire;
	}
}
