/**
 * A hostile client in its own process (so its busy loop never delays the bench's honest
 * sender): one user's sockets flooding one room with one kind of frame, reconnecting whenever
 * the server closes them, for a fixed time. Run by bench/scenarios/flood.ts:
 *   node --import tsx bench/lib/flooder.ts '<FloodSpec as JSON>'
 * and prints one line of JSON, a FloodResult, when done.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { EMPTY_STEP1, EMPTY_STEP2, MSG_SYNC, STEP1, readHead, updateFrame } from './wire';
import { awarenessFrame } from '../../tests/support/frames';

export type FloodKind = 'step1' | 'awareness' | 'awareness-cycle' | 'messages' | 'steady';

export interface FloodSpec {
	readonly kind: FloodKind;
	/** ws://host:port/sync/<roomId> */
	readonly url: string;
	readonly cookie: string;
	readonly origin: string;
	readonly userId: string;
	readonly sockets: number;
	readonly durationMs: number;
	/** Frames (awareness, step1) or updates (messages, steady) to send in all; 0: no limit. */
	readonly frames: number;
	/** Messages per update (messages, steady). */
	readonly messagesPerUpdate: number;
	/** Updates per second per socket (steady); 0: as fast as the socket drains. */
	readonly ratePerSocket: number;
}

export interface FloodResult {
	readonly framesSent: number;
	readonly bytesSent: number;
	readonly bytesReceived: number;
	readonly connections: number;
	/** Close code -> how many times the server closed a socket with it. */
	readonly closes: Record<string, number>;
	/** ms from the start until the server first closed a socket (-1: never). */
	readonly firstCloseMs: number;
	/** Messages sent in updates (the server may have refused or paced some). */
	readonly messagesSent: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FloodSpec;
const started = performance.now();
let framesSent = 0;
let bytesSent = 0;
let bytesReceived = 0;
let connections = 0;
let messagesSent = 0;
let firstCloseMs = -1;
const closes: Record<string, number> = {};
const deadline = started + spec.durationMs;
const budgetLeft = (): boolean =>
	performance.now() < deadline && (spec.frames === 0 || framesSent < spec.frames);

function messagesFrame(doc: Y.Doc, count: number): Uint8Array {
	const before = Y.encodeStateVector(doc);
	doc.transact(() => {
		const list = doc.getArray('messages');
		for (let i = 0; i < count; i++) {
			list.push([
				{
					id: crypto.randomUUID(),
					author: spec.userId,
					text: `flood ${framesSent}.${i}`,
					ts: Date.now()
				}
			]);
		}
	});
	messagesSent += count;
	return updateFrame(Y.encodeStateAsUpdate(doc, before));
}

const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** One socket's life: open, flood until closed or done; resolves when it is closed. */
function floodOnce(socketIndex: number): Promise<void> {
	return new Promise((resolve) => {
		const ws = new WebSocket(spec.url, {
			headers: { cookie: spec.cookie },
			origin: spec.origin,
			perMessageDeflate: false
		});
		ws.binaryType = 'nodebuffer';
		let open = false;
		ws.on('message', (data: Buffer) => {
			bytesReceived += data.byteLength;
			const head = readHead(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
			if (head.type === MSG_SYNC && head.step === STEP1 && open) ws.send(EMPTY_STEP2);
		});
		ws.on('error', () => undefined);
		ws.on('close', (code) => {
			open = false;
			// Every close the server chose (1005/1006: we cut it, or the TCP connection ended).
			if (code !== 1005 && code !== 1006) {
				closes[code] = (closes[code] ?? 0) + 1;
				if (firstCloseMs < 0) firstCloseMs = performance.now() - started;
			}
			resolve();
		});
		ws.on('open', () => {
			open = true;
			connections++;
			void run();
		});
		const send = (frame: Uint8Array): void => {
			ws.send(frame);
			framesSent++;
			bytesSent += frame.byteLength;
		};
		const doc = new Y.Doc();
		let clock = 0;
		let cycled = 0x40000000 + socketIndex * 1_000_000;
		async function run(): Promise<void> {
			const gapMs = spec.ratePerSocket > 0 ? 1_000 / spec.ratePerSocket : 0;
			let next = performance.now();
			while (open && budgetLeft()) {
				if (ws.bufferedAmount > 1024 * 1024) {
					await pause(5);
					continue;
				}
				switch (spec.kind) {
					case 'step1':
						send(EMPTY_STEP1);
						break;
					case 'awareness':
						send(
							awarenessFrame([
								{ clientId: doc.clientID, clock: ++clock, state: { typing: clock % 2 === 0 } }
							])
						);
						break;
					case 'awareness-cycle':
						// Set a fresh clientID, then remove it: y-protocols remembers every one.
						cycled++;
						send(awarenessFrame([{ clientId: cycled, clock: 1, state: { typing: false } }]));
						send(awarenessFrame([{ clientId: cycled, clock: 2, state: null }]));
						break;
					case 'messages':
					case 'steady':
						send(messagesFrame(doc, spec.messagesPerUpdate));
						break;
				}
				if (gapMs > 0) {
					next += gapMs;
					await pause(Math.max(0, next - performance.now()));
				} else if (framesSent % 64 === 0) {
					await new Promise((done) => setImmediate(done));
				}
			}
			// Cut, not closed: a paced socket would read our close frame only after the backlog.
			if (open) ws.terminate();
		}
	});
}

async function socketLoop(index: number): Promise<void> {
	while (budgetLeft()) {
		await floodOnce(index);
		// A flooder reconnects at once (a stock client would not after 4429).
		await pause(10);
	}
}

await Promise.all(Array.from({ length: spec.sockets }, (_, i) => socketLoop(i)));
const result: FloodResult = {
	framesSent,
	bytesSent,
	bytesReceived,
	connections,
	closes,
	firstCloseMs: Math.round(firstCloseMs),
	messagesSent
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
