/**
 * A sending client: a real Y.Doc pushing valid message objects `{ id, author, text, ts }`
 * (author = its user, or the gate refuses), sent as sync updates over a raw socket. It ignores
 * what others send (it never needs their items: it only appends after its own) and records,
 * from STORED receipts, how long each message took to be committed.
 */
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { signedMessage, type Signer } from '../../tests/support/device';
import {
	MSG_AUTH,
	MSG_STORED,
	MSG_SYNC,
	STEP1,
	hocuspocusAuthFrame,
	nowMs,
	outgoing,
	readHead,
	readVarBytes,
	step2Frame,
	updateFrame
} from './wire';

export class Sender {
	readonly doc = new Y.Doc();
	readonly #messages = this.doc.getArray('messages');
	/** Send time per item clock, until its STORED receipt arrives. */
	readonly #sentAt = new Map<number, number>();
	/** clock -> the message's id, kept only while `onStored` is set. */
	readonly #idAt = new Map<number, string>();
	/** Called with each message's id once a STORED receipt covers it. */
	onStored: ((messageId: string) => void) | null = null;
	#storedClock = 0;
	readonly storedLatencies: number[] = [];
	readonly denied: string[] = [];
	sent = 0;
	ws: WebSocket | null = null;

	constructor(
		readonly url: string,
		readonly cookie: string,
		readonly userId: string,
		readonly origin: string,
		/** Set for a Hocuspocus peer: the document's name, which prefixes every frame. */
		readonly docName?: string,
		/** Signs each message for this room (gate rule 7); absent: unsigned. */
		readonly signing?: { readonly signer: Signer; readonly roomId: string }
	) {
		this.doc.on('update', (update: Uint8Array) =>
			this.ws?.send(outgoing(updateFrame(update), docName))
		);
	}

	open(): Promise<void> {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(this.url, {
				headers: { cookie: this.cookie },
				origin: this.origin,
				perMessageDeflate: false
			});
			ws.binaryType = 'nodebuffer';
			ws.on('message', (data: Buffer) =>
				this.#receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
			);
			ws.once('open', () => {
				if (this.docName !== undefined) ws.send(hocuspocusAuthFrame(this.docName));
				this.ws = ws;
				resolve();
			});
			ws.once('unexpected-response', (_req, res) =>
				reject(new Error(`sender refused: ${res.statusCode}`))
			);
			ws.once('error', reject);
		});
	}

	/** Appends one message whose text carries its send time. */
	send(): void {
		const ts = nowMs();
		const clock = Y.getState(this.doc.store, this.doc.clientID);
		this.#sentAt.set(clock, ts);
		this.sent++;
		// The text carries the precise time; the message's ts is whole ms (gate rule 2).
		const message = {
			id: crypto.randomUUID(),
			author: this.userId,
			text: `t=${ts} hello from the bench`,
			ts: Math.floor(ts)
		};
		if (this.onStored) this.#idAt.set(clock, message.id);
		const { signing } = this;
		this.#messages.push([
			signing ? signedMessage(signing.signer, signing.roomId, message) : message
		]);
	}

	/** Messages sent but not yet confirmed by a STORED receipt. */
	get unstored(): number {
		return this.#sentAt.size;
	}

	close(): void {
		this.ws?.terminate();
		this.doc.destroy();
	}

	#receive(frame: Uint8Array): void {
		const head = readHead(frame, this.docName !== undefined);
		if (head.type === MSG_SYNC && head.step === STEP1) {
			const stateVector = readVarBytes(head.decoder);
			const step2 = step2Frame(Y.encodeStateAsUpdate(this.doc, stateVector));
			this.ws?.send(outgoing(step2, this.docName));
		} else if (head.type === MSG_STORED) {
			const stored = Y.decodeStateVector(readVarBytes(head.decoder)).get(this.doc.clientID) ?? 0;
			if (stored <= this.#storedClock) return;
			const now = nowMs();
			for (let clock = this.#storedClock; clock < stored; clock++) {
				const id = this.#idAt.get(clock);
				if (id !== undefined) {
					this.#idAt.delete(clock);
					this.onStored?.(id);
				}
				const sentAt = this.#sentAt.get(clock);
				if (sentAt === undefined) continue;
				this.storedLatencies.push(now - sentAt);
				this.#sentAt.delete(clock);
			}
			this.#storedClock = stored;
		} else if (head.type === MSG_AUTH) {
			decoding.readVarUint(head.decoder);
			this.denied.push(decoding.readVarString(head.decoder));
		}
	}
}

/**
 * Sends `ratePerSecond` messages in total, round-robin over the senders, for `durationMs`.
 * Paced against the clock (not a fixed interval), so a late timer catches up.
 */
export async function drive(
	senders: readonly Sender[],
	ratePerSecond: number,
	durationMs: number
): Promise<number> {
	const start = performance.now();
	const total = Math.round((ratePerSecond * durationMs) / 1000);
	let sent = 0;
	let turn = 0;
	while (sent < total) {
		const due = Math.min(total, Math.floor(((performance.now() - start) * ratePerSecond) / 1000));
		while (sent < due) {
			senders[turn++ % senders.length]?.send();
			sent++;
		}
		await new Promise((done) => setTimeout(done, 1));
	}
	return sent;
}
