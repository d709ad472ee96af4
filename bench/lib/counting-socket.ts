/**
 * A stand-in for a client's socket in the in-process benches (hot-path.ts, room-memory.ts):
 * it only counts the bytes the sync core writes to it.
 */
import type { SyncSocket } from '../../sync-server/types';

export class ByteCounter {
	bytes = 0;

	/** A new socket whose writes add to this counter. */
	socket(): SyncSocket {
		return {
			bufferedAmount: 0,
			send: (data: Uint8Array) => void (this.bytes += data.byteLength),
			close: () => undefined,
			pause: () => undefined,
			resume: () => undefined
		} as unknown as SyncSocket;
	}
}
