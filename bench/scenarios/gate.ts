/**
 * The gate's share of the server's work per accepted update (issue 3: under 20%).
 *
 * In-process, on the real modules: a room of `history` messages from `writers` users, then
 * `updates` honest updates (one message each, from writers taking turns, each writer's replica
 * a little behind, like real clients). For each update it times the server's pipeline step by
 * step: the gate (`checkUpdate`), applying it to the room doc, the durable append (one SQLite
 * transaction per update: the worst case; group commit only makes it cheaper) and encoding the
 * broadcast frame. Socket writes are left out, which makes the gate's share look LARGER than it
 * is in the running server, where fan-out writes dominate (see the fanout rows).
 *
 * `signed`: every message carries its author's device signature and the gate verifies it
 * (rule 7, docs/design.md "Signed items") against keys already in the room's cache, the
 * steady state; signing (the client's work) is timed apart and not in the pipeline.
 */
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { createRoom } from '../../src/lib/server/rooms';
import { createSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { databaseFile, openDatabase } from '../../src/lib/server/storage/sqlite/db';
import { signingDevice } from '../../src/lib/server/devices';
import { generateId } from '../../src/lib/server/id';
import { checkUpdate, type SigningDevice } from '../../sync-server/gate';
import { makeDeviceKeys, signedMessage, type Signer } from '../../tests/support/device';
import { encodeUpdate } from '../../sync-server/protocol';
import { makeTempDir } from '../../tests/support/server';
import { row, type Row } from '../lib/harness';
import { buildHistory } from '../lib/seed';
import { round } from '../lib/stats';

/** buildHistory gives author i the clientID 1,000,000 + i. */
const HISTORY_CLIENT_ID_BASE = 1_000_000;

export interface GateOptions {
	readonly history: number;
	/** Authors of the history (each its own clientID in the room). */
	readonly writers: number;
	/** Of those, how many write the measured updates (each from a replica that does not see the others' new messages: concurrent inserts, as in a busy room). */
	readonly activeWriters: number;
	readonly updates: number;
	/** Messages signed, and verified by the gate. */
	readonly signed: boolean;
}

export async function runGate(options: GateOptions): Promise<Row[]> {
	const dir = makeTempDir('parley-bench-gate-');
	const db = openDatabase(databaseFile(dir));
	try {
		const users = Array.from({ length: options.writers }, (_, i) => `user${i}`);
		const insertUser = db.prepare(
			'INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)'
		);
		for (const id of users) insertUser.run(id, id, 'x', Date.now());
		const room = await createRoom(createSqliteStorage(db).rooms, users[0] ?? '', 'bench', 'public');
		const { roomLog } = createSqliteStorage(db);

		// The server's doc holds the history (200 authors, each with its own clientID, as
		// buildHistory writes it); the active writers' replicas start from that state.
		const server = new Y.Doc();
		Y.applyUpdate(server, buildHistory(options.history, users));
		const owners = new Map<number, string>();
		users.forEach((user, i) => owners.set(HISTORY_CLIENT_ID_BASE + i, user));
		const state = Y.encodeStateAsUpdate(server);
		const replicas = users.slice(0, options.activeWriters).map(() => {
			const doc = new Y.Doc();
			Y.applyUpdate(doc, state);
			return doc;
		});
		replicas.forEach((doc, i) => owners.set(doc.clientID, users[i] ?? ''));

		// One device per active writer, its key parsed once as the room's cache holds it.
		const signers: Signer[] = [];
		const devices = new Map<string, SigningDevice>();
		for (const userId of users.slice(0, options.activeWriters)) {
			const keys = makeDeviceKeys();
			const id = generateId();
			const device = signingDevice({
				id,
				userId,
				name: id,
				createdAt: 0,
				removedAt: null,
				...keys
			});
			if (!device) throw new Error('bad device key');
			devices.set(id, device);
			signers.push({ id, sign: keys.sign });
		}
		const gateOptions = options.signed
			? {
					signatures: { roomId: room.id, required: true, deviceOf: (id: string) => devices.get(id) }
				}
			: {};

		const limits = { maxMessageChars: 4000 };
		const time = { gate: 0, apply: 0, store: 0, encode: 0, sign: 0 };
		/** The gate's CPU time (user + system, µs): on a loaded machine wall time is not its cost. */
		let gateCpuUs = 0;
		let accepted = 0;
		for (let i = 0; i < options.updates; i++) {
			const w = i % replicas.length;
			const doc = replicas[w] as Y.Doc;
			const user = users[w] ?? '';
			let update: Uint8Array | null = null;
			const capture = (u: Uint8Array): void => {
				update = u;
			};
			doc.once('update', capture);
			let value = message(user, options.history + i);
			if (options.signed) {
				const t = performance.now();
				value = signedMessage(signers[w] as Signer, room.id, value);
				time.sign += performance.now() - t;
			}
			doc.getArray('messages').push([value]);
			if (!update) throw new Error('no update captured');

			let t = performance.now();
			const cpu = process.cpuUsage();
			const verdict = checkUpdate(
				server,
				{ userId: user },
				update,
				limits,
				owners,
				new Map(),
				gateOptions
			);
			time.gate += performance.now() - t;
			const spent = process.cpuUsage(cpu);
			gateCpuUs += spent.user + spent.system;
			if (!verdict.ok) throw new Error(`honest update refused: ${verdict.reason}`);
			const data = verdict.update;

			t = performance.now();
			Y.applyUpdate(server, data, 'client');
			time.apply += performance.now() - t;

			t = performance.now();
			await roomLog.commit([{ roomId: room.id, data }]);
			time.store += performance.now() - t;

			t = performance.now();
			encodeUpdate(data);
			time.encode += performance.now() - t;
			accepted++;
		}
		const total = time.gate + time.apply + time.store + time.encode;
		const per = (ms: number): number => round((ms * 1000) / accepted, 2);
		return [
			row({
				scenario: 'gate',
				server: 'parley (in-process)',
				config: `${options.history} msgs history by ${options.writers} authors; ${accepted} updates from ${options.activeWriters} writers${options.signed ? '; signed, verified' : ''}`,
				deliveries: accepted,
				deliveriesPerSecond: round(accepted / (total / 1000), 0),
				p50Ms: NaN,
				p99Ms: NaN,
				maxMs: NaN,
				lost: 0,
				cpuMicrosPerDelivery: per(total),
				rssMb: round(process.memoryUsage().rss / 1024 / 1024, 1),
				extra: {
					gateUs: per(time.gate),
					gateCpuUs: round(gateCpuUs / accepted, 2),
					applyUs: per(time.apply),
					storeUs: per(time.store),
					encodeUs: per(time.encode),
					gateSharePct: round((time.gate / total) * 100, 1),
					...(options.signed
						? { clientSignUs: per(time.sign), verifyCpuUs: verifyCpuMicros(devices, signers) }
						: {})
				}
			})
		];
	} finally {
		db.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

/** CPU µs of one Ed25519 verification alone (the part of rule 7 that grows with messages). */
function verifyCpuMicros(devices: ReadonlyMap<string, SigningDevice>, signers: readonly Signer[]) {
	const signer = signers[0];
	const device = signer && devices.get(signer.id);
	if (!signer || !device) return NaN;
	const bytes = new TextEncoder().encode('a message of ordinary length, signed once');
	const sig = signer.sign(bytes);
	const runs = 2_000;
	const cpu = process.cpuUsage();
	for (let i = 0; i < runs; i++) if (!device.verify(bytes, sig)) throw new Error('no verify');
	const spent = process.cpuUsage(cpu);
	return round((spent.user + spent.system) / runs, 2);
}

function message(
	author: string,
	n: number
): { id: string; author: string; text: string; ts: number } {
	return {
		id: crypto.randomUUID(),
		author,
		text: `message ${n}: a few words of chat text`,
		ts: 1_700_000_000_000 + n
	};
}
