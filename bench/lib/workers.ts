/** The bench's side of the load-generator processes (load-worker.ts): spawn, command, collect. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ClientSpec {
	/** ws://host:port/sync/<roomId> */
	readonly url: string;
	readonly cookie: string;
	/** Set for a Hocuspocus peer: the document's name, which prefixes every frame. */
	readonly docName?: string;
}

export type WorkerCommand =
	| {
			readonly id: number;
			readonly cmd: 'open';
			readonly origin: string;
			readonly clients: readonly ClientSpec[];
			/** Send our own (empty) step 1 so the server sends the room's state (step 2). */
			readonly sendStep1: boolean;
			/** Reconnect whenever a socket closes (restart storm). */
			readonly reconnect: boolean;
			/** Decode every message on one socket in this many (0: none) for latency. */
			readonly sampleEvery: number;
			readonly concurrency: number;
	  }
	| {
			readonly id: number;
			/**
			 * Every open client publishes its awareness state (its typing flag flipping) `hz`
			 * times a second, at its own phase, for `durationMs`; the reply comes at the end.
			 * Latencies are then awareness send -> receipt by each other client of this process.
			 */
			readonly cmd: 'presence';
			readonly hz: number;
			readonly durationMs: number;
	  }
	| { readonly id: number; readonly cmd: 'stats' | 'reset' | 'close' };

/** A command before it is numbered (distributes over the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface WorkerStats {
	readonly clients: number;
	readonly open: number;
	readonly synced: number;
	/** Messages received per socket, in the order the sockets were opened. */
	readonly messages: number[];
	readonly step2Messages: number[];
	/** ms from send to receipt, sampled sockets only. */
	readonly latencies: number[];
	readonly frames: number;
	readonly bytes: number;
}

export interface WorkerReply {
	readonly id: number;
	readonly failed?: number;
	readonly stats?: WorkerStats;
}

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export class LoadWorker {
	readonly #child: ChildProcess;
	#nextId = 1;
	readonly #waiting = new Map<number, (reply: WorkerReply) => void>();

	constructor() {
		this.#child = fork(WORKER, [], {
			execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
			stdio: ['ignore', 'inherit', 'inherit', 'ipc']
		});
		this.#child.on('message', (reply: WorkerReply) => {
			this.#waiting.get(reply.id)?.(reply);
			this.#waiting.delete(reply.id);
		});
	}

	get pid(): number {
		return this.#child.pid ?? 0;
	}

	#ask(command: WithoutId<WorkerCommand>): Promise<WorkerReply> {
		const id = this.#nextId++;
		return new Promise((resolve) => {
			this.#waiting.set(id, resolve);
			this.#child.send({ ...command, id });
		});
	}

	/** Opens the sockets; resolves with how many failed to open. */
	async open(
		options: Omit<Extract<WorkerCommand, { cmd: 'open' }>, 'id' | 'cmd'>
	): Promise<number> {
		return (await this.#ask({ cmd: 'open', ...options })).failed ?? 0;
	}

	async stats(): Promise<WorkerStats> {
		const reply = await this.#ask({ cmd: 'stats' });
		if (!reply.stats) throw new Error('worker sent no stats');
		return reply.stats;
	}

	/** Runs the presence load on this worker's clients (see the `presence` command). */
	async presence(hz: number, durationMs: number): Promise<void> {
		await this.#ask({ cmd: 'presence', hz, durationMs });
	}

	async reset(): Promise<void> {
		await this.#ask({ cmd: 'reset' });
	}

	async close(): Promise<void> {
		if (this.#child.exitCode !== null) return;
		const exited = new Promise<void>((done) => this.#child.once('exit', () => done()));
		await this.#ask({ cmd: 'close' });
		await exited;
	}
}

/** Adds up the stats of several workers (their sockets in spawn order). */
export function mergeStats(all: readonly WorkerStats[]): WorkerStats {
	return {
		clients: all.reduce((n, s) => n + s.clients, 0),
		open: all.reduce((n, s) => n + s.open, 0),
		synced: all.reduce((n, s) => n + s.synced, 0),
		messages: all.flatMap((s) => s.messages),
		step2Messages: all.flatMap((s) => s.step2Messages),
		latencies: all.flatMap((s) => s.latencies),
		frames: all.reduce((n, s) => n + s.frames, 0),
		bytes: all.reduce((n, s) => n + s.bytes, 0)
	};
}

/** How every worker opens its share of the clients (all but the clients themselves). */
export type OpenOptions = Omit<Extract<WorkerCommand, { cmd: 'open' }>, 'id' | 'cmd' | 'clients'>;

/**
 * Opens `clients` split into equal consecutive shares, one per worker (so merged stats keep
 * the clients' order); resolves with how many failed to open on each worker.
 */
export function openAcross(
	workers: readonly LoadWorker[],
	clients: readonly ClientSpec[],
	options: OpenOptions
): Promise<number[]> {
	const per = Math.ceil(clients.length / workers.length);
	return Promise.all(
		workers.map((worker, w) =>
			worker.open({ ...options, clients: clients.slice(w * per, (w + 1) * per) })
		)
	);
}

/** The stats of all the workers, merged. */
export async function statsAcross(workers: readonly LoadWorker[]): Promise<WorkerStats> {
	return mergeStats(await Promise.all(workers.map((worker) => worker.stats())));
}
