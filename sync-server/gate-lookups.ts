/**
 * What the gate looks up in storage (an upload of the room, the author of a sealed message, a
 * signing device),
 * for a gate that is synchronous over a storage that is not. The room runs the gate; when it
 * asked for something not known here, the room fetches exactly that (`fetchMissed`) and runs
 * the gate again. Found answers are kept (an upload or a sealed author never changes); "not
 * found" is believed for one run only (the upload may arrive a moment later).
 */
import { signingDevice } from '../src/lib/server/devices';
import type { DeviceStorage, RoomFileInfo } from '../src/lib/server/storage/types';
import type { GateOptions, SigningDevice } from './gate';
import type { RoomLogPort } from './room-log';

/** Answers kept per room, each kind; past it the cache starts over (memory stays bounded). */
const MAX_CACHED = 10_000;
/**
 * How long a device found is believed: a device removed meanwhile signs in an already loaded
 * room for at most this long (its key is fetched again after).
 */
export const DEVICE_CACHE_MS = 30_000;

/** Rule 7's services (docs/design.md "Signed items"). */
export interface SignatureServices {
	readonly devices: Pick<DeviceStorage, 'get'>;
	/** REQUIRE_SIGNATURES. */
	readonly required: boolean;
	/** Wall-clock ms, for DEVICE_CACHE_MS. */
	nowMs(): number;
}

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
	readonly #signatures: SignatureServices | undefined;
	readonly #devices = new Map<string, SigningDevice>();
	readonly #deviceCachedAt = new Map<string, number>();
	#fetchedDevices = new Map<string, SigningDevice | undefined>();
	readonly #missedDevices = new Set<string>();
	/** The options handed to the gate: epoch 0 rooms never pay for the sealed-id lookup. */
	readonly options: GateOptions;

	constructor(
		roomId: string,
		roomLog: Pick<RoomLogPort, 'roomFile' | 'sealedAuthorOf'>,
		hasSealedHistory: boolean,
		signatures?: SignatureServices,
		encrypted = false
	) {
		this.#signatures = signatures;
		this.#roomId = roomId;
		this.#roomLog = roomLog;
		const roomFileOf = (fileId: string): RoomFileInfo | undefined =>
			this.#lookup(fileId, this.#files, this.#fetchedFiles, this.#missedFiles);
		const sealedAuthorOf = (messageId: string): string | undefined =>
			this.#lookup(messageId, this.#authors, this.#fetchedAuthors, this.#missedAuthors);
		const options: GateOptions = hasSealedHistory
			? { roomFileOf, sealedAuthorOf, encrypted }
			: { roomFileOf, encrypted };
		this.options = signatures
			? {
					...options,
					signatures: {
						roomId,
						required: signatures.required,
						deviceOf: (deviceId) => this.#deviceOf(deviceId, signatures.nowMs())
					}
				}
			: options;
	}

	#deviceOf(deviceId: string, nowMs: number): SigningDevice | undefined {
		const cachedAt = this.#deviceCachedAt.get(deviceId);
		if (cachedAt !== undefined && nowMs - cachedAt > DEVICE_CACHE_MS) {
			this.#devices.delete(deviceId);
			this.#deviceCachedAt.delete(deviceId);
		}
		const cached = this.#devices.has(deviceId);
		const device = this.#lookup(deviceId, this.#devices, this.#fetchedDevices, this.#missedDevices);
		if (!cached && device !== undefined) this.#deviceCachedAt.set(deviceId, nowMs);
		return device;
	}

	/** Whether the last run asked for something not known here (its verdict does not count). */
	get missed(): boolean {
		return (
			this.#missedFiles.size > 0 || this.#missedAuthors.size > 0 || this.#missedDevices.size > 0
		);
	}

	/** Fetches what the last run missed, for the next run. */
	async fetchMissed(): Promise<void> {
		const files = [...this.#missedFiles];
		const authors = [...this.#missedAuthors];
		const devices = [...this.#missedDevices];
		this.#missedFiles.clear();
		this.#missedAuthors.clear();
		this.#missedDevices.clear();
		const store = this.#signatures?.devices;
		const [foundFiles, foundAuthors, foundDevices] = await Promise.all([
			Promise.all(files.map((id) => this.#roomLog.roomFile(this.#roomId, id))),
			Promise.all(authors.map((id) => this.#roomLog.sealedAuthorOf(this.#roomId, id))),
			Promise.all(devices.map(async (id) => (store ? await store.get(id) : null)))
		]);
		files.forEach((id, index) => this.#fetchedFiles.set(id, foundFiles[index]));
		authors.forEach((id, index) => this.#fetchedAuthors.set(id, foundAuthors[index]));
		devices.forEach((id, index) => {
			const found = foundDevices[index];
			this.#fetchedDevices.set(id, found ? (signingDevice(found) ?? undefined) : undefined);
		});
	}

	/** A run's verdict was used: what was fetched for it is forgotten, what was found kept. */
	runDone(): void {
		this.#fetchedFiles = new Map();
		this.#fetchedAuthors = new Map();
		this.#fetchedDevices = new Map();
		this.#missedFiles.clear();
		this.#missedAuthors.clear();
		this.#missedDevices.clear();
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
