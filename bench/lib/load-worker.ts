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
	MSG_SYNC,
	STEP1,
	STEP2,
	UPDATE,
	countMessages,
	nowMs,
	readHead,
	readVarBytes,
	sentTimes
} from './wire';
import type { WorkerCommand, WorkerReply, WorkerStats } from './workers';

interface Client {
	readonly url: string;
	readonly cookie: string;
	readonly sampled: boolean;
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
	const head = readHead(frame);
	if (head.type !== MSG_SYNC) return;
	if (head.step === STEP1) {
		client.ws?.send(EMPTY_STEP2);
		// Without our own step 1 the server sends no history: the socket is "synced" now.
		if (!sendStep1) client.synced = true;
		return;
	}
	const update = readVarBytes(head.decoder);
	if (head.step === STEP2) {
		client.step2Messages = countMessages(update);
		client.synced = true;
		return;
	}
	if (head.step !== UPDATE) return;
	const now = nowMs();
	const decoded = decodeOnce(update, data, client.sampled);
	client.messages += decoded.count;
	if (client.sampled) for (const sent of decoded.times ?? []) latencies.push(now - sent);
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
			if (sendStep1) ws.send(EMPTY_STEP1);
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
