/**
 * A room's sealed history in the browser: the list of segments (`GET /api/rooms/:id/history`,
 * saved in localStorage for offline use) and the segments themselves (`/segments/:n`, kept in
 * IndexedDB `parley-segments:<userId>`, store `segments`, key `<roomId>/<n>`), so a segment read
 * once opens without a network. Segments never change once sealed.
 */
import * as z from 'zod/mini';
import { getJson, HistorySchema, roomPath, type RoomHistory, type SegmentInfo } from './epochs';
import { parseMessage, type ChatMessage } from './messages';

export type { SegmentInfo };

/** A head shorter than this shows the newest segment at once (about a screenful). */
export const SCREENFUL = 30;

export function listingStorageKey(userId: string, roomId: string): string {
	return `parley:history:${userId}:${roomId}`;
}

/** The listing saved by `saveListing`, or null. */
export function readListing(userId: string, roomId: string): RoomHistory | null {
	try {
		const raw = localStorage.getItem(listingStorageKey(userId, roomId));
		const parsed = HistorySchema.safeParse(raw === null ? null : JSON.parse(raw));
		return parsed.success ? parsed.data : null;
	} catch {
		return null;
	}
}

export function saveListing(userId: string, roomId: string, listing: RoomHistory): void {
	localStorage.setItem(listingStorageKey(userId, roomId), JSON.stringify(listing));
}

/** The segments sealed before the replica's epoch, oldest first: what lies above its messages. */
export function segmentsBefore(listing: RoomHistory | null, epoch: number): readonly SegmentInfo[] {
	if (listing === null) return [];
	return listing.segments.filter((segment) => segment.epoch < epoch).sort((a, b) => a.n - b.n);
}

/**
 * How many of `segments` (oldest first) are shown: the loaded ones counting back from the newest,
 * without a gap (the log shows one unbroken stretch of history). Returns the index of the first.
 */
export function shownFrom(segments: readonly SegmentInfo[], loaded: ReadonlySet<number>): number {
	let from = segments.length;
	while (from > 0 && loaded.has(segments[from - 1]?.n ?? -1)) from--;
	return from;
}

/** The segment "Load older" brings: the one right above what is shown; null: none left. */
export function nextOlder(
	segments: readonly SegmentInfo[],
	loaded: ReadonlySet<number>
): SegmentInfo | null {
	return segments[shownFrom(segments, loaded) - 1] ?? null;
}

/** Messages in the segments above what is shown (the "N earlier" count). */
export function unshownCount(
	segments: readonly SegmentInfo[],
	loaded: ReadonlySet<number>
): number {
	const from = shownFrom(segments, loaded);
	return segments.slice(0, from).reduce((sum, segment) => sum + segment.count, 0);
}

const SegmentSchema = z.object({
	n: z.int().check(z.minimum(0)),
	epoch: z.int().check(z.minimum(0)),
	messages: z.array(z.unknown())
});

export interface Segment {
	readonly n: number;
	readonly epoch: number;
	/** Values without the message schema are left out, as in the head (messages.ts). */
	readonly messages: readonly ChatMessage[];
}

/** A stored or fetched segment as the UI may use it, or null. */
export function parseSegment(value: unknown): Segment | null {
	const parsed = SegmentSchema.safeParse(value);
	if (!parsed.success) return null;
	const messages = parsed.data.messages
		.map(parseMessage)
		.filter((message): message is ChatMessage => message !== null);
	return { n: parsed.data.n, epoch: parsed.data.epoch, messages };
}

const STORE = 'segments';

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
	});
}

export function segmentsDatabaseName(userId: string): string {
	return `parley-segments:${userId}`;
}

function openSegments(userId: string): Promise<IDBDatabase> {
	const open = indexedDB.open(segmentsDatabaseName(userId), 1);
	open.onupgradeneeded = () => open.result.createObjectStore(STORE);
	return request(open).then((db) => {
		// Let a deletion (e.g. on sign-out in another tab) go through.
		db.onversionchange = () => db.close();
		return db;
	});
}

async function cachedSegment(userId: string, roomId: string, n: number): Promise<Segment | null> {
	const db = await openSegments(userId);
	try {
		const store = db.transaction(STORE, 'readonly').objectStore(STORE);
		return parseSegment(await request(store.get(`${roomId}/${n}`)));
	} finally {
		db.close();
	}
}

async function storeSegment(
	userId: string,
	roomId: string,
	raw: unknown,
	n: number
): Promise<void> {
	const db = await openSegments(userId);
	try {
		const transaction = db.transaction(STORE, 'readwrite');
		transaction.objectStore(STORE).put(raw, `${roomId}/${n}`);
		await new Promise<void>((resolve, reject) => {
			transaction.oncomplete = () => resolve();
			transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB write failed'));
			transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB write aborted'));
		});
	} finally {
		db.close();
	}
}

/**
 * One segment: from IndexedDB when it was read before, else from the server (then kept).
 * Throws when it is neither here nor reachable.
 */
export async function loadSegment(
	userId: string,
	roomId: string,
	info: SegmentInfo
): Promise<Segment> {
	const cached = await cachedSegment(userId, roomId, info.n).catch(() => null);
	if (cached !== null && cached.epoch === info.epoch) return cached;
	const raw = await getJson(`${roomPath(roomId)}/segments/${info.n}`);
	const segment = parseSegment(raw);
	if (segment === null || segment.n !== info.n)
		throw new Error(`segment ${info.n}: unexpected answer`);
	// Keeping it is a convenience: a full or blocked IndexedDB still shows it now.
	await storeSegment(userId, roomId, raw, info.n).catch(() => undefined);
	return segment;
}

/** Every segment of `userId`'s kept in this browser, by room (for offline search). */
export async function cachedSegments(userId: string): Promise<Map<string, Segment[]>> {
	const byRoom = new Map<string, Segment[]>();
	const existing = await indexedDB.databases();
	if (!existing.some((db) => db.name === segmentsDatabaseName(userId))) return byRoom;
	const db = await openSegments(userId);
	try {
		const store = db.transaction(STORE, 'readonly').objectStore(STORE);
		const [keys, values] = await Promise.all([
			request(store.getAllKeys()),
			request(store.getAll() as IDBRequest<unknown[]>)
		]);
		keys.forEach((key, index) => {
			const segment = parseSegment(values[index]);
			if (typeof key !== 'string' || segment === null) return;
			const roomId = key.slice(0, key.lastIndexOf('/'));
			const list = byRoom.get(roomId) ?? [];
			list.push(segment);
			byRoom.set(roomId, list);
		});
	} finally {
		db.close();
	}
	for (const list of byRoom.values()) list.sort((a, b) => a.n - b.n);
	return byRoom;
}
