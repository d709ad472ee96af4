/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints on the committing
 * connection whenever a commit leaves more than 1,000 pages in the WAL: the commit that
 * crosses it copies every page back into the database file and fsyncs it, on the event loop
 * (tens of ms in many small rooms, where each message dirties pages of its own: the bursts of
 * issue 17). Here the process's connection has `wal_autocheckpoint = 0` and a worker thread
 * with its own connection to the same file runs `PRAGMA wal_checkpoint(PASSIVE)` every
 * `CHECKPOINT_INTERVAL_MS`: PASSIVE never waits for the writer nor for readers, and the next
 * commit after a complete checkpoint restarts the WAL from its beginning. What a commit
 * survives does not change (the WAL holds it; design.md "Durability and receipts").
 * If the worker fails, the connection checkpoints itself again (autocheckpoint restored).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db';

/** How often the worker checkpoints, in ms (~2,000 commits' pages at most in between). */
export const CHECKPOINT_INTERVAL_MS = 250;
/** SQLite's default `wal_autocheckpoint`, restored if the worker stops. */
const AUTOCHECKPOINT_PAGES = 1_000;

/** One checkpoint as PRAGMA wal_checkpoint reports it. */
export interface CheckpointResult {
	/** 1 when it could not run (another connection was checkpointing). */
	readonly busy: number;
	/** Frames in the WAL, and how many of them are now in the database file. */
	readonly log: number;
	readonly checkpointed: number;
}

export interface Checkpointer {
	/** Checkpoints done by the worker so far (whatever their result). */
	readonly count: number;
	/** The last one's result, or null before the first. */
	readonly last: CheckpointResult | null;
	/** Stops the worker; the connection checkpoints itself again. */
	stop(): Promise<void>;
}

// CommonJS, evaluated in the worker: no file to resolve whether the server runs from source
// (tsx) or from a bundle. better-sqlite3's entry is resolved here and handed in.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const tick = () => {
	try {
		const [row] = db.pragma('wal_checkpoint(PASSIVE)');
		parentPort.postMessage({ busy: row.busy, log: row.log, checkpointed: row.checkpointed });
	} catch (error) {
		// SQLITE_BUSY: a checkpoint elsewhere (another instance) holds it; try at the next tick.
		if (error && error.code !== 'SQLITE_BUSY') throw error;
	}
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (message) => {
	if (message !== 'stop') return;
	clearInterval(timer);
	db.close();
	parentPort.close();
});
`;

/**
 * Starts the checkpointing worker for `db` (a file database in WAL mode) and turns the
 * connection's own checkpoints off. In-memory databases have no WAL: null.
 */
export function startCheckpointer(
	db: Db,
	intervalMs: number = CHECKPOINT_INTERVAL_MS
): Checkpointer | null {
	if (db.memory || db.name === '') return null;
	const driver = createRequire(import.meta.url).resolve('better-sqlite3');
	const worker = new Worker(WORKER_SOURCE, {
		eval: true,
		workerData: { file: db.name, driver, intervalMs }
	});
	// The worker alone must not keep the process alive.
	worker.unref();
	db.pragma('wal_autocheckpoint = 0');
	let count = 0;
	let last: CheckpointResult | null = null;
	let running = true;
	const fallBack = (): void => {
		if (!running) return;
		running = false;
		if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
	};
	worker.on('message', (result: CheckpointResult) => {
		count++;
		last = result;
	});
	worker.on('error', (error) => {
		console.error('sqlite checkpointer failed; checkpointing on the connection again', error);
		fallBack();
	});
	worker.on('exit', fallBack);
	return {
		get count() {
			return count;
		},
		get last() {
			return last;
		},
		async stop() {
			if (!running) return;
			const exited = new Promise<void>((done) => worker.once('exit', () => done()));
			// Unref'd, the worker would not keep a process whose only work left is this wait
			// alive: it would end with the close unfinished (exit code 13 after a top-level await).
			worker.ref();
			worker.postMessage('stop');
			await exited;
		}
	};
}
