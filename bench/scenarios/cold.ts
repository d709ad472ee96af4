/**
 * (d) Cold load of a long room, and history growth. A room of N messages is stored as the server
 * leaves it with history segments on (docs/design.md "History segments"): all but the newest
 * messages sealed into read-only segments (with the REAL `buildSeal` + `storage.roomLog.seal`), and a
 * head at its largest, SEAL_AFTER_MESSAGES - 1 messages (one more and it would seal): N - 1
 * messages in all. Measured:
 * the server's load time (socket open -> its first frame, which it sends right after loading
 * the room), the bytes a new client receives (step 2 with the whole head) and its apply time,
 * the GET of the newest segment (what "Load older" costs), the same load in-process, and the
 * one-time cost of sealing the room had it been one legacy document (what a room stored before
 * segments pays once, on its first load after the upgrade).
 */
import { rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { openSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { databaseFile } from '../../src/lib/server/storage/sqlite/db';
import { buildSeal } from '../../sync-server/seal';
import { makeTempDir } from '../../tests/support/server';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed } from '../lib/seed';
import { round } from '../lib/stats';
import { EMPTY_STEP1, MSG_SYNC, STEP1, STEP2, readHead, readVarBytes } from '../lib/wire';

interface ColdLoad {
	readonly openToFirstFrameMs: number;
	readonly step2Bytes: number;
	readonly applyMs: number;
	readonly messages: number;
}

function coldConnect(url: string, cookie: string, origin: string): Promise<ColdLoad> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, {
			headers: { cookie },
			origin,
			perMessageDeflate: false,
			// A million messages are ~140 MB in one step 2 (ws's default cap is 100 MiB).
			maxPayload: 1024 * 1024 * 1024
		});
		ws.binaryType = 'nodebuffer';
		let openedAt = 0;
		let firstFrameMs = NaN;
		ws.once('open', () => {
			openedAt = performance.now();
			ws.send(EMPTY_STEP1);
		});
		ws.on('message', (data: Buffer) => {
			if (Number.isNaN(firstFrameMs)) firstFrameMs = performance.now() - openedAt;
			const head = readHead(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
			if (head.type !== MSG_SYNC || head.step === STEP1 || head.step !== STEP2) return;
			const update = readVarBytes(head.decoder);
			const doc = new Y.Doc();
			const t0 = performance.now();
			Y.applyUpdate(doc, update);
			const applyMs = performance.now() - t0;
			const messages = doc.getArray('messages').length;
			doc.destroy();
			ws.terminate();
			resolve({ openToFirstFrameMs: firstFrameMs, step2Bytes: data.byteLength, applyMs, messages });
		});
		ws.once('unexpected-response', (_r, res) => reject(new Error(`refused ${res.statusCode}`)));
		ws.once('error', reject);
	});
}

/** The server's load path in-process: read the room from SQLite, apply it, encode a full step 2. */
async function loadInProcess(
	dataDir: string,
	roomId: string
): Promise<{ loadMs: number; encodeMs: number }> {
	const storage = openSqliteStorage(databaseFile(dataDir));
	try {
		const t0 = performance.now();
		const state = await storage.roomLog.load(roomId);
		const doc = new Y.Doc();
		doc.transact(() => {
			for (const update of state.updates) Y.applyUpdate(doc, update, 'store');
		});
		const loadMs = performance.now() - t0;
		const t1 = performance.now();
		Y.encodeStateAsUpdate(doc);
		const encodeMs = performance.now() - t1;
		doc.destroy();
		return { loadMs, encodeMs };
	} finally {
		await storage.close();
	}
}

/** The default SEAL_AFTER_MESSAGES (src/lib/server/config.ts), passed to the server explicitly. */
const SEAL_AFTER_MESSAGES = 5_000;
/** The largest head a room ever has: one message short of sealing. */
const HEAD_MESSAGES = SEAL_AFTER_MESSAGES - 1;

interface Stored {
	/** Epoch of the head after sealing. */
	readonly epoch: number;
	readonly segments: number;
	readonly segmentBytes: number;
	/** The room as ONE document (before segments): its bytes and its in-process load time. */
	readonly legacyDocBytes: number;
	readonly legacyLoadMs: number;
	/** buildSeal + roomLog.seal of that document: the one-time cost for a legacy room. */
	readonly sealMs: number;
}

/**
 * Writes a room as sealing leaves it: `size - SEAL_AFTER_MESSAGES` messages in full segments,
 * the newest HEAD_MESSAGES in the head (appended to it, then compacted).
 */
async function storeSegmentedRoom(
	dataDir: string,
	roomId: string,
	size: number,
	authors: readonly string[]
): Promise<Stored> {
	// Sealing always cuts whole segments of SEAL_AFTER_MESSAGES: size - 1 messages in all.
	const sealed = size - SEAL_AFTER_MESSAGES;
	const legacy = buildHistory(sealed, authors);
	const storage = openSqliteStorage(databaseFile(dataDir));
	try {
		const store = storage.roomLog;
		const doc = new Y.Doc();
		const t0 = performance.now();
		doc.transact(() => Y.applyUpdate(doc, legacy, 'store'));
		const legacyLoadMs = performance.now() - t0;
		const t1 = performance.now();
		const seal = buildSeal(doc, SEAL_AFTER_MESSAGES);
		const epoch = await store.seal(roomId, { epoch: 0, lastSeq: 0 }, seal);
		const sealMs = performance.now() - t1;
		doc.destroy();
		if (epoch === null) throw new Error('seal refused');
		// The head: the seal's new head doc plus the newest messages, as one snapshot.
		const head = new Y.Doc();
		for (const update of (await store.load(roomId)).updates) Y.applyUpdate(head, update);
		Y.applyUpdate(head, buildHistory(HEAD_MESSAGES, authors));
		const [entry] = await store.commit([{ roomId, epoch, data: Y.encodeStateAsUpdate(head) }]);
		if (entry?.status !== 'stored') throw new Error('append into the head refused');
		await store.compact(roomId, entry.seq, Y.encodeStateAsUpdate(head), epoch);
		head.destroy();
		const segmentBytes = seal.segments.reduce((sum, s) => sum + s.data.byteLength, 0);
		return {
			epoch,
			segments: seal.segments.length,
			segmentBytes,
			legacyDocBytes: legacy.byteLength,
			legacyLoadMs,
			sealMs
		};
	} finally {
		await storage.close();
	}
}

/** GET with gzip accepted, not decompressed: the bytes on the wire and the time to the last one. */
function timedGet(
	url: string,
	cookie: string
): Promise<{ ms: number; bytes: number; body: Buffer }> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		httpGet(url, { headers: { cookie, 'accept-encoding': 'gzip' } }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				if (response.statusCode !== 200) {
					reject(new Error(`GET ${url}: ${response.statusCode}`));
					return;
				}
				const body = Buffer.concat(chunks);
				resolve({ ms: performance.now() - t0, bytes: body.byteLength, body });
			});
			response.on('error', reject);
		}).on('error', reject);
	});
}

export async function runCold(sizes: readonly number[]): Promise<Row[]> {
	const rows: Row[] = [];
	for (const size of sizes) {
		const dataDir = makeTempDir('parley-bench-');
		try {
			console.log(`cold: room of ${size} messages`);
			const authors = 20;
			const seeded = await seed(dataDir, {
				users: authors,
				rooms: 1,
				membersOf: () => Array.from({ length: authors }, (_, i) => i)
			});
			const roomId = seeded.rooms[0] ?? '';
			const t0 = performance.now();
			const stored = await storeSegmentedRoom(
				dataDir,
				roomId,
				size,
				seeded.users.map((u) => u.id)
			);
			const generateMs = performance.now() - t0;
			const inProcess = await loadInProcess(dataDir, roomId);
			const server = await startParley(dataDir, {
				SEAL_AFTER_MESSAGES: String(SEAL_AFTER_MESSAGES)
			});
			try {
				const user = seeded.users[0];
				if (!user) throw new Error('no user');
				const url = `${server.syncUrl}/${roomId}?epoch=${stored.epoch}`;
				const cold = await coldConnect(url, user.cookie, server.url);
				const warm = await coldConnect(url, user.cookie, server.url);
				if (cold.messages !== HEAD_MESSAGES) {
					throw new Error(`cold load delivered ${cold.messages} of ${HEAD_MESSAGES} head messages`);
				}
				const newest = stored.segments - 1;
				const segment = await timedGet(
					`${server.url}/api/rooms/${roomId}/segments/${newest}`,
					user.cookie
				);
				rows.push(
					row({
						scenario: 'cold',
						server: 'parley',
						config: `room of ${size - 1} messages: ${stored.segments} segment${stored.segments === 1 ? '' : 's'} + a head of ${HEAD_MESSAGES}`,
						deliveries: cold.messages,
						deliveriesPerSecond: NaN,
						p50Ms: NaN,
						p99Ms: NaN,
						maxMs: NaN,
						lost: HEAD_MESSAGES - cold.messages,
						cpuMicrosPerDelivery: NaN,
						rssMb: NaN,
						extra: {
							serverLoadMs: round(cold.openToFirstFrameMs),
							warmFirstFrameMs: round(warm.openToFirstFrameMs),
							inProcessLoadMs: round(inProcess.loadMs),
							inProcessEncodeMs: round(inProcess.encodeMs),
							firstSyncBytes: cold.step2Bytes,
							clientApplyMs: round(cold.applyMs),
							olderSegmentGetMs: round(segment.ms),
							olderSegmentBytes: segment.bytes,
							segmentBytesTotal: stored.segmentBytes,
							legacyDocBytes: stored.legacyDocBytes,
							legacyLoadMs: round(stored.legacyLoadMs),
							oneTimeSealMs: round(stored.sealMs),
							generateMs: Math.round(generateMs)
						}
					})
				);
			} finally {
				await server.stop();
			}
		} catch (error) {
			console.error(`cold load of ${size} messages failed:`, error);
			process.exitCode = 1;
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	}
	return rows;
}
