/**
 * What the gate looks up in storage (an upload of the room, the author of a sealed message),
 * for a gate that is synchronous over a storage that is not. The room runs the gate; when it
 * asked for something not known here, the room fetches exactly that (`fetchMissed`) and runs
 * the gate again. Found answers are kept (an upload or a sealed author never changes); "not
 * found" is believed for one run only (the upload may arrive a moment later).
 */
import type { RoomFileInfo } from '../src/lib/server/storage/types';
import type { GateOptions } from './gate';
import type { RoomLogPort } from './room-log';

/** Answers kept per room, each kind; past it the cache starts over (memory stays bounded). */
const MAX_CACHED = 10_000;

export class GateLookups {
	readonly #roomId: string;
	readonly #roomLog: Pick<RoomLogPort, 'roomFile' | 'sealedAuthorOf'>;
	readonly #files = new Map<string, RoomFileInfo>();
	readonly #authors = new Map<string, string>();
	/** Fetched for the next run only, "not found" included. */
	#fetchedFiles = new Map<string, RoomFileInfo | undefined>();
	#fetchedAuthors = new Map<string, string | undefined>();
	readonly #missedFiles = new Set<string>();
	readonly #missedAuthors = new Set<string>();
	/** The options handed to the gate: epoch 0 rooms never pay for the sealed-id lookup. */
	readonly options: GateOptions;

	constructor(
		roomId: string,
		roomLog: Pick<RoomLogPort, 'roomFile' | 'sealedAuthorOf'>,
		hasSealedHistory: boolean
	) {
		this.#roomId = roomId;
		this.#roomLog = roomLog;
		const roomFileOf = (fileId: string): RoomFileInfo | undefined =>
			this.#lookup(fileId, this.#files, this.#fetchedFiles, this.#missedFiles);
		const sealedAuthorOf = (messageId: string): string | undefined =>
			this.#lookup(messageId, this.#authors, this.#fetchedAuthors, this.#missedAuthors);
		this.options = hasSealedHistory ? { roomFileOf, sealedAuthorOf } : { roomFileOf };
	}

	/** Whether the last run asked for something not known here (its verdict does not count). */
	get missed(): boolean {
		return this.#missedFiles.size > 0 || this.#missedAuthors.size > 0;
	}

	/** Fetches what the last run missed, for the next run. */
	async fetchMissed(): Promise<void> {
		const files = [...this.#missedFiles];
		const authors = [...this.#missedAuthors];
		this.#missedFiles.clear();
		this.#missedAuthors.clear();
		const [foundFiles, foundAuthors] = await Promise.all([
			Promise.all(files.map((id) => this.#roomLog.roomFile(this.#roomId, id))),
			Promise.all(authors.map((id) => this.#roomLog.sealedAuthorOf(this.#roomId, id)))
		]);
		files.forEach((id, index) => this.#fetchedFiles.set(id, foundFiles[index]));
		authors.forEach((id, index) => this.#fetchedAuthors.set(id, foundAuthors[index]));
	}

	/** A run's verdict was used: what was fetched for it is forgotten, what was found kept. */
	runDone(): void {
		this.#fetchedFiles = new Map();
		this.#fetchedAuthors = new Map();
		this.#missedFiles.clear();
		this.#missedAuthors.clear();
	}

	#lookup<V>(
		id: string,
		cache: Map<string, V>,
		fetched: Map<string, V | undefined>,
		missed: Set<string>
	): V | undefined {
		const known = cache.get(id);
		if (known !== undefined) return known;
		if (!fetched.has(id)) {
			missed.add(id);
			return undefined;
		}
		const value = fetched.get(id);
		if (value !== undefined) {
			if (cache.size >= MAX_CACHED) cache.clear();
			cache.set(id, value);
		}
		return value;
	}
}
