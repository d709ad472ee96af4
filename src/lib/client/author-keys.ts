/**
 * Other users' device keys as this browser knows them (docs/design.md, "Device keys" and
 * "Signed items"): read from `GET /api/users/:id/devices` (active devices) and
 * `GET /api/users/:id/devices/:deviceId` (one device, removed or not), and kept in IndexedDB
 * (`parley-keys:<viewerId>`, store `users`, key: the user's id) so a replica verifies offline.
 * Answers from the server are parsed here, once.
 */
import * as z from 'zod/mini';
import { PUBLIC_KEY_TEXT } from '../protocol/device-keys';
import { DEVICE_ID } from '../protocol/schema';
import { keyValueStore, type KeyValueStore } from './key-value-store';

/** A device of a user as a replica needs it: its signing key, and whether it was removed. */
export interface KnownDevice {
	readonly id: string;
	readonly name: string;
	/** Ed25519 public key, base64url. */
	readonly signingKey: string;
	readonly createdAt: number;
	readonly removed: boolean;
}

const PublishedSchema = z.object({
	id: z.string().check(z.regex(DEVICE_ID)),
	name: z.string(),
	signingKey: z.string().check(z.regex(PUBLIC_KEY_TEXT)),
	createdAt: z.number()
});
const ListSchema = z.object({ devices: z.array(PublishedSchema) });
const OneSchema = z.object({
	device: z.extend(PublishedSchema, { removedAt: z.nullable(z.number()) })
});
const CachedSchema = z.object({
	devices: z.array(z.extend(PublishedSchema, { removed: z.boolean() }))
});

/** What a lookup of one device found: it, none such (not the user's), or no way to know now. */
export type DeviceLookup = KnownDevice | 'missing' | 'unknown';

export function authorKeysDatabaseName(viewerId: string): string {
	return `parley-keys:${viewerId}`;
}

export class AuthorKeys {
	readonly #cache: KeyValueStore;
	readonly #fetch: typeof fetch;
	/** userId -> devices known (active and removed), loaded from IndexedDB or the server. */
	readonly #known = new Map<string, Promise<KnownDevice[]>>();
	/** Users whose active list was fetched on this page (once each; `activeDevices` refreshes). */
	readonly #listed = new Map<string, Promise<boolean>>();
	readonly #single = new Map<string, Promise<DeviceLookup>>();

	constructor(viewerId: string, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
		this.#cache = keyValueStore(authorKeysDatabaseName(viewerId), 'users');
		this.#fetch = fetchImpl;
	}

	/** Device `deviceId` of `userId`: from what is known, else asked of the server. */
	async device(userId: string, deviceId: string): Promise<DeviceLookup> {
		const find = async (): Promise<KnownDevice | undefined> =>
			(await this.#devicesOf(userId)).find((device) => device.id === deviceId);
		const known = await find();
		if (known) return known;
		if (!this.#listed.has(userId)) this.#listed.set(userId, this.#fetchList(userId));
		await this.#listed.get(userId);
		const listed = await find();
		if (listed) return listed;
		const key = `${userId}/${deviceId}`;
		let lookup = this.#single.get(key);
		if (lookup === undefined) {
			lookup = this.#fetchOne(userId, deviceId);
			this.#single.set(key, lookup);
			// "Unknown" (offline) is asked again next time.
			void lookup.then((found) => found === 'unknown' && this.#single.delete(key));
		}
		return lookup;
	}

	/**
	 * `userId`'s active devices, oldest first: fresh from the server, else (offline) as last
	 * known; null when never seen.
	 */
	async activeDevices(userId: string): Promise<KnownDevice[] | null> {
		const fetched = this.#fetchList(userId);
		this.#listed.set(userId, fetched);
		const fresh = await fetched;
		const devices = await this.#devicesOf(userId);
		if (!fresh && devices.length === 0) return null;
		return devices.filter((device) => !device.removed);
	}

	#devicesOf(userId: string): Promise<KnownDevice[]> {
		let devices = this.#known.get(userId);
		if (devices === undefined) {
			devices = this.#readCache(userId).catch(() => []);
			this.#known.set(userId, devices);
		}
		return devices;
	}

	/** Fetches the active list; true when the server answered. */
	async #fetchList(userId: string): Promise<boolean> {
		const body = await this.#getJson(`/api/users/${encodeURIComponent(userId)}/devices`);
		const parsed = ListSchema.safeParse(body);
		if (!parsed.success) return false;
		const active = new Set(parsed.data.devices.map((device) => device.id));
		const before = await this.#devicesOf(userId);
		// A device known before and not listed now has been removed.
		const merged = [
			...before.filter((device) => !active.has(device.id)).map((d) => ({ ...d, removed: true })),
			...parsed.data.devices.map((device) => ({ ...device, removed: false }))
		];
		await this.#remember(userId, merged);
		return true;
	}

	async #fetchOne(userId: string, deviceId: string): Promise<DeviceLookup> {
		const path = `/api/users/${encodeURIComponent(userId)}/devices/${encodeURIComponent(deviceId)}`;
		const body = await this.#getJson(path);
		if (body === 'not-found') return 'missing';
		const parsed = OneSchema.safeParse(body);
		if (!parsed.success) return 'unknown';
		const { removedAt, ...published } = parsed.data.device;
		const device: KnownDevice = { ...published, removed: removedAt !== null };
		const others = (await this.#devicesOf(userId)).filter((known) => known.id !== deviceId);
		await this.#remember(userId, [...others, device]);
		return device;
	}

	/** The JSON body of a 200, 'not-found' for a 404, null for anything else (offline too). */
	async #getJson(path: string): Promise<unknown> {
		try {
			const response = await this.#fetch(path);
			if (response.status === 404) return 'not-found';
			if (response.status !== 200) return null;
			return await response.json();
		} catch {
			return null;
		}
	}

	async #remember(userId: string, devices: KnownDevice[]): Promise<void> {
		devices.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
		this.#known.set(userId, Promise.resolve(devices));
		await this.#writeCache(userId, devices).catch(() => undefined);
	}

	async #readCache(userId: string): Promise<KnownDevice[]> {
		const parsed = CachedSchema.safeParse(await this.#cache.get(userId));
		return parsed.success ? parsed.data.devices : [];
	}

	async #writeCache(userId: string, devices: readonly KnownDevice[]): Promise<void> {
		await this.#cache.put(userId, { devices, fetchedAt: Date.now() });
	}
}
