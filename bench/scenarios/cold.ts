/**
 * (d) Cold load of a long room, and history growth: for a room of N messages (one snapshot in
 * SQLite, as compaction leaves it), the server's load time (socket open -> its first frame,
 * which it sends right after loading the room), the bytes a new client receives (step 2 with
 * everything) and the client's apply time. Also the same load measured in-process (store read +
 * apply), without sockets.
 */
import { rmSync } from 'node:fs';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { databaseFile, openDatabase } from '../../src/lib/server/db';
import { SqliteStore } from '../../sync-server/store';
import { makeTempDir } from '../../tests/support/server';
import { row, startParley, type Row } from '../lib/harness';
import { buildHistory, seed, storeSnapshot } from '../lib/seed';
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

/** The server's load path in-process: read the room from SQLite, apply it, answer a new client. */
function loadInProcess(dataDir: string, roomId: string): { loadMs: number; encodeMs: number } {
	const db = openDatabase(databaseFile(dataDir));
	try {
		const t0 = performance.now();
		const state = new SqliteStore(db).loadRoom(roomId);
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
		db.close();
	}
}

export async function runCold(sizes: readonly number[]): Promise<Row[]> {
	const rows: Row[] = [];
	for (const size of sizes) {
		const dataDir = makeTempDir('parley-bench-');
		try {
			console.log(`cold: room of ${size} messages`);
			const authors = 20;
			const seeded = seed(dataDir, {
				users: authors,
				rooms: 1,
				membersOf: () => Array.from({ length: authors }, (_, i) => i)
			});
			const roomId = seeded.rooms[0] ?? '';
			const t0 = performance.now();
			const history = buildHistory(
				size,
				seeded.users.map((u) => u.id)
			);
			const generateMs = performance.now() - t0;
			storeSnapshot(dataDir, roomId, history);
			const inProcess = loadInProcess(dataDir, roomId);
			const server = await startParley(dataDir);
			try {
				const user = seeded.users[0];
				if (!user) throw new Error('no user');
				const cold = await coldConnect(`${server.syncUrl}/${roomId}`, user.cookie, server.url);
				const warm = await coldConnect(`${server.syncUrl}/${roomId}`, user.cookie, server.url);
				if (cold.messages !== size) {
					throw new Error(`cold load delivered ${cold.messages} of ${size} messages`);
				}
				rows.push(
					row({
						scenario: 'cold',
						server: 'parley',
						config: `room of ${size} messages`,
						deliveries: cold.messages,
						deliveriesPerSecond: NaN,
						p50Ms: NaN,
						p99Ms: NaN,
						maxMs: NaN,
						lost: size - cold.messages,
						cpuMicrosPerDelivery: NaN,
						rssMb: NaN,
						extra: {
							docBytes: history.byteLength,
							serverLoadMs: round(cold.openToFirstFrameMs),
							warmFirstFrameMs: round(warm.openToFirstFrameMs),
							inProcessLoadMs: round(inProcess.loadMs),
							inProcessEncodeMs: round(inProcess.encodeMs),
							firstSyncBytes: cold.step2Bytes,
							clientApplyMs: round(cold.applyMs),
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
