/**
 * A load-generator process holding many light receiver sockets (raw `ws`, the y-websocket
 * protocol by hand). It answers the server's step 1 with an empty step 2, counts the messages
 * in every update, and decodes fully only on sampled sockets to measure latency. Driven by the
 * bench over IPC (see workers.ts for the commands).
 */
import WebSocket from 'ws';
import {
	EMPTY_STEP1,
	EMPTY_STEP2,
	MSG_AWARENESS,
	MSG_SYNC,
	awarenessEntries,
	awarenessFrame,
	STEP1,
	STEP2,
	UPDATE,
	countMessages,
	hocuspocusAuthFrame,
	nowMs,
	outgoing,
	readHead,
	readVarBytes,
	sentTimes
} from './wire';
import type { WorkerCommand, WorkerReply, WorkerStats } from './workers';

interface Client {
	readonly url: string;
	readonly cookie: string;
	readonly docName: string | undefined;
	readonly sampled: boolean;
	/** The awareness clientID this client publishes its presence as, and its clock. */
	readonly awarenessId: number;
	awarenessClock: number;
	ws: WebSocket | null;
	open: boolean;
	synced: boolean;
	messages: number;
	/** Messages in the last step 2 received (what a (re)sync delivered). */
	step2Messages: number;
	closes: number;
}

let clients: Client[] = [];
let latencies: number[] = [];
let frames = 0;
let bytes = 0;
let origin = '';
let sendStep1 = false;
let reconnect = false;
let stopping = false;
/** Presence sent by this process's clients: `${clientID}:${clock}` -> send time. */
const awarenessSentAt = new Map<string, number>();

function send(reply: WorkerReply): void {
	process.send?.(reply);
}

/**
 * What each distinct update holds (message count, send times), decoded once per process: the
 * server writes the same frame bytes to every socket, so hundreds of sockets get equal frames.
 */
const decodedFrames = new Map<string, { count: number; times: number[] | null }>();
const DECODED_FRAMES_KEPT = 20_000;

function decodeOnce(
	update: Uint8Array,
	data: Buffer,
	wantTimes: boolean
): { count: number; times: number[] | null } {
	const key = data.toString('latin1');
	let entry = decodedFrames.get(key);
	if (!entry) {
		if (decodedFrames.size >= DECODED_FRAMES_KEPT) decodedFrames.clear();
		entry = { count: countMessages(update), times: null };
		decodedFrames.set(key, entry);
	}
	if (wantTimes && !entry.times) entry.times = sentTimes(update);
	return entry;
}

function onFrame(client: Client, data: Buffer): void {
	frames++;
	bytes += data.byteLength;
	const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	const head = readHead(frame, client.docName !== undefined);
	if (head.type === MSG_AWARENESS) return onAwareness(readVarBytes(head.decoder));
	if (head.type !== MSG_SYNC) return;
	if (head.step === STEP1) {
		client.ws?.send(outgoing(EMPTY_STEP2, client.docName));
		// Without our own step 1 the server sends no history: the socket is "synced" now.
		if (!sendStep1) client.synced = true;
		return;
	}
	const update = readVarBytes(head.decoder);
	if (head.step === STEP2) {
		// A join storm sends every joiner the same bytes: count them once.
		client.step2Messages = decodeOnce(update, data, false).count;
		client.synced = true;
		return;
	}
	if (head.step !== UPDATE) return;
	const now = nowMs();
	const decoded = decodeOnce(update, data, client.sampled);
	client.messages += decoded.count;
	if (client.sampled) for (const sent of decoded.times ?? []) latencies.push(now - sent);
}

/** A presence state one of our clients sent, received by another: its latency. */
function onAwareness(update: Uint8Array): void {
	const now = nowMs();
	for (const { clientId, clock } of awarenessEntries(update)) {
		const sent = awarenessSentAt.get(`${clientId}:${clock}`);
		if (sent !== undefined) latencies.push(now - sent);
	}
}

/** Each open client publishes its presence `hz` times a second, at its own phase. */
async function presence(hz: number, durationMs: number): Promise<void> {
	const periodMs = 1000 / hz;
	const start = performance.now();
	const next = clients.map(() => Math.random() * periodMs);
	while (performance.now() - start < durationMs) {
		const elapsed = performance.now() - start;
		clients.forEach((client, i) => {
			if ((next[i] ?? 0) > elapsed || !client.open) return;
			next[i] = (next[i] ?? 0) + periodMs;
			const clock = ++client.awarenessClock;
			const state = { user: { name: 'bench user' }, typing: clock % 2 === 0 };
			awarenessSentAt.set(`${client.awarenessId}:${clock}`, nowMs());
			client.ws?.send(outgoing(awarenessFrame(client.awarenessId, clock, state), client.docName));
		});
		await new Promise((done) => setTimeout(done, 2));
	}
}

function connect(client: Client): Promise<boolean> {
	return new Promise((resolve) => {
		const ws = new WebSocket(client.url, {
			headers: { cookie: client.cookie },
			origin,
			perMessageDeflate: false
		});
		client.ws = ws;
		client.synced = false;
		ws.binaryType = 'nodebuffer';
		let settled = false;
		const settle = (ok: boolean): void => {
			if (settled) return;
			settled = true;
			resolve(ok);
		};
		ws.on('open', () => {
			client.open = true;
			if (client.docName !== undefined) ws.send(hocuspocusAuthFrame(client.docName));
			if (sendStep1) ws.send(outgoing(EMPTY_STEP1, client.docName));
			settle(true);
		});
		ws.on('message', (data: Buffer) => onFrame(client, data));
		ws.on('unexpected-response', () => {
			settle(false);
			// Refused (e.g. 503 while draining): end it, so `close` fires and a retry follows.
			ws.terminate();
		});
		ws.on('error', () => settle(false));
		ws.on('close', () => {
			settle(false);
			client.open = false;
			client.synced = false;
			client.closes++;
			if (reconnect && !stopping) setTimeout(() => void retry(client), 50 + Math.random() * 100);
		});
	});
}

/** One more attempt; a failed one ends in `close`, which schedules the next (restart storm). */
async function retry(client: Client): Promise<void> {
	if (stopping || client.open) return;
	await connect(client);
}

async function openAll(list: readonly Client[], concurrency: number): Promise<number> {
	let next = 0;
	let failed = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < list.length) {
				const client = list[next++];
				if (client && !(await connect(client))) failed++;
			}
		})
	);
	return failed;
}

function stats(): WorkerStats {
	return {
		clients: clients.length,
		open: clients.filter((c) => c.open).length,
		synced: clients.filter((c) => c.synced).length,
		messages: clients.map((c) => c.messages),
		step2Messages: clients.map((c) => c.step2Messages),
		latencies,
		frames,
		bytes
	};
}

process.on('message', (command: WorkerCommand) => {
	void (async () => {
		switch (command.cmd) {
			case 'open': {
				origin = command.origin;
				sendStep1 = command.sendStep1;
				reconnect = command.reconnect;
				const added = command.clients.map((c, i): Client => ({
					url: c.url,
					cookie: c.cookie,
					docName: c.docName,
					awarenessId: Math.floor(Math.random() * 0xffffffff),
					awarenessClock: 0,
					sampled: command.sampleEvery > 0 && i % command.sampleEvery === 0,
					ws: null,
					open: false,
					synced: false,
					messages: 0,
					step2Messages: 0,
					closes: 0
				}));
				clients = clients.concat(added);
				const failed = await openAll(added, command.concurrency);
				return send({ id: command.id, failed });
			}
			case 'presence':
				await presence(command.hz, command.durationMs);
				return send({ id: command.id });
			case 'stats':
				return send({ id: command.id, stats: stats() });
			case 'reset':
				latencies = [];
				frames = 0;
				bytes = 0;
				for (const client of clients) client.messages = 0;
				return send({ id: command.id });
			case 'close':
				stopping = true;
				for (const client of clients) client.ws?.terminate();
				clients = [];
				send({ id: command.id });
				return setTimeout(() => process.exit(0), 50);
		}
	})();
});
