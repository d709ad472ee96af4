/**
 * The summary channel's client (docs/design.md "Summary channel"): one WebSocket per tab to
 * `/sync/_summaries` that brings every room of the user with its last message and unread and
 * mention counts, and keeps them live. The list is kept in IndexedDB (`parley-summaries`, one
 * record per user), so the sidebar and the home list show at once offline and on a cold start,
 * then the server's snapshot corrects them. A full page load already holds the list (the root
 * layout's server load): the store starts from it and merges the saved copy in by `lastSeq`.
 * Opening a room still syncs only that room.
 *
 * Delivered ticks: the socket acknowledges every room whose summary brings a last message by
 * someone else that this tab has not acknowledged yet (one frame per turn), and hands the
 * `delivery` frames (another member's devices got the user's messages) to the open room's page.
 *
 * The open room (`setOpenRoom`): the socket tells the server which room this tab has open
 * (`open`), whose messages its room socket brings; the server then withholds that room's
 * per-message frames, and this tab shows and acknowledges the room's last message from the
 * page's replica instead (docs/design.md "The open room").
 *
 * Totals (tab title, app badge) add the rooms' unread counts, mentions apart, by each room's
 * notification level (kept by the server, in the summaries): "nothing" counts nothing,
 * "mentions" only mentions. The open room counts what its own replica says (`setOpenRoom`),
 * which is ahead of the server's summary while reading.
 */
import { getContext, setContext } from 'svelte';
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import {
	DEFAULT_NOTIFICATION_LEVEL,
	SUMMARY_PATH,
	encodeClientFrame,
	parseSummaryFrame,
	type DeliveryMark,
	type NotificationLevel,
	type RoomSummary
} from '$lib/protocol/summaries';
import { CloseCode } from '$lib/protocol/wire';
import { wsOriginOf } from './room.svelte';

const DB_NAME = 'parley-summaries';

/**
 * Dispatched on `window` when the user socket says key shares reached a device of the user
 * (`{ type: "inbox" }`): an open encrypted room reads its inbox at once.
 */
export const INBOX_EVENT = 'parley:inbox';
/**
 * Dispatched on `window` when someone who shares a room with the user (or the user) changed
 * their display name or picture; `detail` is their user id. An open room fetches its members.
 */
export const PROFILE_EVENT = 'parley:profile';
const STORE = 'lists';
/** Reconnect backoff: doubles from the first delay up to the cap (and at once on `online`). */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/** Writes to IndexedDB are gathered for this long. */
const SAVE_DELAY_MS = 250;
/**
 * A tab sends at most one delivery acknowledgement frame this often: the first after a quiet
 * spell goes at the end of its turn, what comes within the interval after it goes together when
 * the interval is up (every room's latest). In a busy workspace a tab costs the server one frame
 * a second, not one per message; a tick shows up to this much later.
 */
const ACK_EVERY_MS = 1_000;

interface SavedList {
	readonly userId: string;
	readonly rooms: RoomSummary[];
	readonly defaultLevel: NotificationLevel;
}

/** What this browser last saved for a user: the rooms and their default level. */
export interface SavedSummaries {
	readonly rooms: RoomSummary[];
	readonly defaultLevel: NotificationLevel;
}

function openDb(): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.open(DB_NAME, 1);
		request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'userId' });
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error ?? new Error('IndexedDB refused'));
	});
}

/** The list this browser last saved for the user, or null. */
export async function readSavedSummaries(userId: string): Promise<SavedSummaries | null> {
	const db = await openDb();
	try {
		const saved = await new Promise<unknown>((resolve, reject) => {
			const request = db.transaction(STORE).objectStore(STORE).get(userId);
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error ?? new Error('read failed'));
		});
		if (typeof saved !== 'object' || saved === null || !('rooms' in saved)) return null;
		// Our own earlier write, but read back through the same schema as the wire.
		const defaultLevel = 'defaultLevel' in saved ? saved.defaultLevel : undefined;
		const frame = parseSummaryFrame(
			JSON.stringify({ type: 'snapshot', rooms: saved.rooms, defaultLevel })
		);
		return frame?.type === 'snapshot'
			? { rooms: frame.rooms, defaultLevel: frame.defaultLevel }
			: null;
	} finally {
		db.close();
	}
}

async function saveSummaries(list: SavedList): Promise<void> {
	const db = await openDb();
	try {
		await new Promise<void>((resolve, reject) => {
			const tx = db.transaction(STORE, 'readwrite');
			tx.objectStore(STORE).put(list);
			tx.oncomplete = () => resolve();
			tx.onerror = () => reject(tx.error ?? new Error('write failed'));
		});
	} finally {
		db.close();
	}
}

/** Rooms by latest activity (last message ts), then by name. */
export function byActivity(rooms: Iterable<RoomSummary>): RoomSummary[] {
	return [...rooms].sort(
		(a, b) => (b.last?.ts ?? 0) - (a.last?.ts ?? 0) || a.name.localeCompare(b.name)
	);
}

/**
 * Two copies of the list whose ages are unknown (the page's, possibly a cached page's, and the
 * one saved in IndexedDB): every room of either, each with the summary of the larger `lastSeq`
 * (it only grows; the saved one on a tie). A room only one copy holds stays until the server's
 * snapshot replaces the whole list.
 */
export function newerSummaries(
	held: Iterable<RoomSummary>,
	saved: readonly RoomSummary[]
): RoomSummary[] {
	// A lookup for this call only, not state.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	const rooms = new Map<string, RoomSummary>();
	for (const room of held) rooms.set(room.id, room);
	for (const room of saved) {
		const known = rooms.get(room.id);
		if (!known || known.lastSeq <= room.lastSeq) rooms.set(room.id, room);
	}
	return [...rooms.values()];
}

export interface Totals {
	readonly unread: number;
	readonly mentions: number;
}

/**
 * Unread and mention totals by each room's level (its own, else `defaultLevel`): "nothing"
 * counts nothing, "mentions" only its mentions; the open room counts `open.unread`.
 */
export function totalsOf(
	rooms: Iterable<RoomSummary>,
	defaultLevel: NotificationLevel,
	open: { readonly id: string; readonly unread: number } | null
): Totals {
	let unread = 0;
	let mentions = 0;
	for (const room of rooms) {
		const level = room.level ?? defaultLevel;
		if (level === 'nothing') continue;
		const count = room.id === open?.id ? open.unread : room.unread;
		const mentioned = count === 0 ? 0 : Math.min(room.mentions, count);
		unread += level === 'mentions' ? mentioned : count;
		mentions += mentioned;
	}
	return { unread, mentions };
}

/** The rooms whose level (their own, else `defaultLevel`) is "nothing". */
export function mutedOf(
	rooms: Iterable<RoomSummary>,
	defaultLevel: NotificationLevel
): ReadonlySet<string> {
	const muted: string[] = [];
	for (const room of rooms) if ((room.level ?? defaultLevel) === 'nothing') muted.push(room.id);
	// A value derived anew on every change, never mutated: not state.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	return new Set(muted);
}

/** What a list shows: its rooms by activity, the muted ones and the totals. */
export interface SummaryView {
	readonly sorted: RoomSummary[];
	readonly muted: ReadonlySet<string>;
	readonly totals: Totals;
}

/** The view of a list the server put in the page, before (or without) a store. */
export function summaryViewOf(list: SavedSummaries): SummaryView {
	return {
		sorted: byActivity(list.rooms),
		muted: mutedOf(list.rooms, list.defaultLevel),
		totals: totalsOf(list.rooms, list.defaultLevel, null)
	};
}

const CONTEXT_KEY = Symbol('parley.summaries');

/** Where the layout keeps its store: `current` is undefined when signed out and during SSR. */
export interface SummaryHolder {
	readonly current: SummaryStore | undefined;
}

/** The layout's store holder (a `$state` object, so `.current` is reactive). */
export function useSummaries(): SummaryHolder {
	return getContext<SummaryHolder | undefined>(CONTEXT_KEY) ?? { current: undefined };
}

/** The layout hands its (later created) store down: pages read `.current` when they need it. */
export function provideSummaries(holder: SummaryHolder): void {
	setContext(CONTEXT_KEY, holder);
}

/** An encrypted room's message as this tab decrypted it: its id and its preview text. */
export interface DecryptedPreview {
	readonly id: string;
	readonly text: string;
}

/** Other members' delivery marks moved in a room (a `deliveries` frame, or an older `delivery`). */
export interface DeliveryEvent {
	readonly roomId: string;
	readonly marks: readonly DeliveryMark[];
}

/** A room's last message as a summary shows it. */
export type LastMessage = NonNullable<RoomSummary['last']>;

/** What the open room's page tells the store (`setOpenRoom`). */
export interface OpenRoom {
	readonly id: string;
	/** Others' messages after the user's read mark, as the page's replica counts them. */
	readonly unread: number;
	/**
	 * The replica's last message, shaped as the server's summary would name it (an encrypted
	 * room's text ''); null while none is known.
	 */
	readonly last?: LastMessage | null;
}

/**
 * The open room's summary with what its page's replica knows: its unread count, and its last
 * message when that is newer than the summary's (by its time; the summary's stays on a tie).
 * The same summary when nothing differs.
 */
export function withOpenRoom(room: RoomSummary, open: OpenRoom): RoomSummary {
	const last = open.last;
	const known = room.last;
	const newer = last != null && last.id !== known?.id && last.ts >= (known?.ts ?? 0);
	if (!newer && room.unread === open.unread) return room;
	return {
		...room,
		last: newer ? last : known,
		unread: open.unread,
		mentions: Math.min(room.mentions, open.unread)
	};
}

export class SummaryStore {
	readonly rooms = new SvelteMap<string, RoomSummary>();
	/** True once a list is shown (from the cache or the server). */
	loaded = $state(false);
	/** True while the server's snapshot of this connection has arrived. */
	live = $state(false);
	/** The user's default notification level (rooms without their own follow it). */
	defaultLevel: NotificationLevel = $state(DEFAULT_NOTIFICATION_LEVEL);
	openRoom = $state.raw<{ readonly id: string; readonly unread: number } | null>(null);
	/**
	 * Encrypted rooms' latest messages as this tab decrypted them (their room page tells it),
	 * by room: the server's summary has no text for them. Kept in memory only, never stored:
	 * the replicas hold ciphertext, and a preview on disk would not.
	 */
	readonly decrypted = new SvelteMap<string, DecryptedPreview>();
	/**
	 * The people known to be online now (presence frames: the user's DMs' people, and the
	 * watched room's members). Emptied while disconnected: nothing stale is shown.
	 */
	readonly online = new SvelteSet<string>();

	readonly sorted = $derived(byActivity(this.rooms.values()));
	readonly totals = $derived(totalsOf(this.rooms.values(), this.defaultLevel, this.openRoom));
	/** Rooms whose level is "nothing" (the list marks them "muted"). */
	readonly muted: ReadonlySet<string> = $derived(mutedOf(this.rooms.values(), this.defaultLevel));

	readonly #userId: string;
	#ws: WebSocket | null = null;
	#retryMs = RECONNECT_FIRST_MS;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#saveTimer: ReturnType<typeof setTimeout> | undefined;
	#stopped = false;
	/** The room whose members' presence this tab shows (`watchRoom`). */
	#watched: string | null = null;
	/** The room the server was told this tab has open (`setOpenRoom`). */
	#opened: string | null = null;
	/**
	 * A server closed the socket over a frame it did not know (4400: an older instance during a
	 * rolling update, which knows no `watch` or `open`): this tab sends neither any more, so it
	 * does not loop (the older server then sends the open room's frames as before).
	 */
	#framesRefused = false;
	/** roomId -> the last message this tab acknowledged as delivered. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
	readonly #acked = new Map<string, string>();
	/** Rooms to acknowledge when the next frame goes (null: none queued). */
	#toAck: Map<string, string> | null = null;
	/** When the last acknowledgement frame went (`performance.now()`). */
	#ackSentAt = -Infinity;
	#ackTimer: ReturnType<typeof setTimeout> | undefined;
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- listeners, never rendered
	readonly #deliveryListeners = new Set<(event: DeliveryEvent) => void>();
	readonly #onOnline = (): void => this.#reconnectNow();

	/**
	 * `fromPage`: the list the server put in this page (a full load; null for none): shown at
	 * once, so hydration matches the server's HTML. The saved list and the server's snapshot
	 * then correct it.
	 */
	constructor(userId: string, fromPage: SavedSummaries | null = null) {
		this.#userId = userId;
		if (fromPage) {
			this.#replace(fromPage.rooms);
			this.defaultLevel = fromPage.defaultLevel;
			this.loaded = true;
		}
		window.addEventListener('online', this.#onOnline);
		void readSavedSummaries(userId).then(
			(saved) => {
				// The server's answer may have come first: it wins.
				if (saved && !this.live && !this.#stopped) {
					this.#replace(newerSummaries(this.rooms.values(), saved.rooms));
					if (!fromPage) this.defaultLevel = saved.defaultLevel;
				}
				this.loaded = true;
			},
			() => (this.loaded = true)
		);
		this.#connect();
	}

	/**
	 * The room page: its room, the unread count and the last message its replica shows (null on
	 * leaving). The server is told which room is open; the room's summary takes what the replica
	 * knows (`withOpenRoom`), and a last message by someone else is acknowledged as delivered.
	 */
	setOpenRoom(open: OpenRoom | null): void {
		this.openRoom = open === null ? null : { id: open.id, unread: open.unread };
		const roomId = open?.id ?? null;
		if (this.#opened !== roomId) {
			this.#opened = roomId;
			this.#sendOpen();
		}
		if (!open) return;
		const room = this.rooms.get(open.id);
		if (!room) return;
		const shown = withOpenRoom(room, open);
		if (shown !== room) {
			this.rooms.set(room.id, shown);
			this.#scheduleSave();
		}
		const ws = this.#ws;
		if (open.last && ws?.readyState === WebSocket.OPEN) this.#acknowledge(room.id, open.last);
	}

	/** The room page of `roomId` is going: no room is open, unless another page opened one. */
	leaveRoom(roomId: string): void {
		if (this.#opened === roomId) this.setOpenRoom(null);
	}

	#sendOpen(): void {
		const ws = this.#ws;
		if (ws?.readyState === WebSocket.OPEN && !this.#framesRefused) {
			ws.send(encodeClientFrame({ type: 'open', roomId: this.#opened }));
		}
	}

	/** An encrypted room's latest message as its page decrypted it (`previewOf` its text). */
	noteDecrypted(roomId: string, preview: DecryptedPreview): void {
		const known = this.decrypted.get(roomId);
		if (known?.id !== preview.id || known.text !== preview.text)
			this.decrypted.set(roomId, preview);
	}

	/**
	 * This tab shows the room's members (its member list): the server tells their presence
	 * (null: no room). Sent again on every reconnect.
	 */
	watchRoom(roomId: string | null): void {
		if (this.#watched === roomId) return;
		this.#watched = roomId;
		const ws = this.#ws;
		if (ws?.readyState === WebSocket.OPEN && !this.#framesRefused) {
			ws.send(encodeClientFrame({ type: 'watch', roomId }));
		}
	}

	/** Calls `listener` for every `deliveries` (or older `delivery`) frame; returns how to stop. */
	onDelivery(listener: (event: DeliveryEvent) => void): () => void {
		this.#deliveryListeners.add(listener);
		return () => this.#deliveryListeners.delete(listener);
	}

	/** The room's notification level: its own, else the user's default. */
	levelOf(roomId: string): NotificationLevel {
		return this.rooms.get(roomId)?.level ?? this.defaultLevel;
	}

	/** The room's own level as set (null: it follows the default). */
	roomLevel(roomId: string): NotificationLevel | null {
		return this.rooms.get(roomId)?.level ?? null;
	}

	/**
	 * Sets the room's level on the server (null: back to the default); shown at once, put back
	 * if the server refuses. Answers an error message, or null.
	 */
	async setRoomLevel(roomId: string, level: NotificationLevel | null): Promise<string | null> {
		const room = this.rooms.get(roomId);
		if (room) this.rooms.set(roomId, { ...room, level });
		const error = await putJson(`/api/rooms/${encodeURIComponent(roomId)}/notifications`, {
			level
		});
		const now = this.rooms.get(roomId);
		if (error !== null && room && now) this.rooms.set(roomId, { ...now, level: room.level });
		else this.#scheduleSave();
		return error;
	}

	/** Sets the user's default level on the server; answers an error message, or null. */
	async setDefaultLevel(level: NotificationLevel): Promise<string | null> {
		const before = this.defaultLevel;
		this.defaultLevel = level;
		const error = await putJson('/api/me/notifications', { defaultLevel: level });
		if (error !== null) this.defaultLevel = before;
		else this.#scheduleSave();
		return error;
	}

	destroy(): void {
		this.#stopped = true;
		clearTimeout(this.#retryTimer);
		clearTimeout(this.#ackTimer);
		window.removeEventListener('online', this.#onOnline);
		this.#ws?.close();
	}

	#connect(): void {
		if (this.#stopped) return;
		const ws = new WebSocket(`${wsOriginOf(location.origin)}${SUMMARY_PATH}`);
		this.#ws = ws;
		ws.onmessage = (event) => {
			if (typeof event.data !== 'string') return;
			const frame = parseSummaryFrame(event.data);
			if (!frame) return;
			this.#retryMs = RECONNECT_FIRST_MS;
			if (frame.type === 'deliveries' || frame.type === 'delivery') {
				const event: DeliveryEvent =
					frame.type === 'deliveries'
						? frame
						: {
								roomId: frame.roomId,
								marks: [{ userId: frame.userId, upTo: frame.upTo, ts: frame.ts }]
							};
				for (const listener of this.#deliveryListeners) listener(event);
				return;
			}
			if (frame.type === 'inbox') {
				window.dispatchEvent(new Event(INBOX_EVENT));
				return;
			}
			if (frame.type === 'presence') {
				for (const { id, online } of frame.users) {
					if (online) this.online.add(id);
					else this.online.delete(id);
				}
				return;
			}
			if (frame.type === 'profile') {
				window.dispatchEvent(new CustomEvent(PROFILE_EVENT, { detail: frame.userId }));
				return;
			}
			if (frame.type === 'snapshot') {
				this.#replace(frame.rooms);
				this.defaultLevel = frame.defaultLevel;
				this.live = true;
				this.loaded = true;
				for (const room of frame.rooms) this.#acknowledge(room.id, room.last);
			} else if (frame.type === 'room') {
				const known = this.rooms.get(frame.room.id);
				if (!known || known.lastSeq <= frame.room.lastSeq)
					this.rooms.set(frame.room.id, frame.room);
				this.#acknowledge(frame.room.id, frame.room.last);
			} else {
				this.rooms.delete(frame.roomId);
			}
			this.#scheduleSave();
		};
		ws.onopen = () => {
			if (this.#watched !== null && !this.#framesRefused) {
				ws.send(encodeClientFrame({ type: 'watch', roomId: this.#watched }));
			}
			if (this.#opened !== null) this.#sendOpen();
		};
		ws.onclose = (event) => {
			if (this.#ws !== ws) return;
			this.#ws = null;
			this.live = false;
			this.online.clear();
			if (event.code === CloseCode.MALFORMED_MESSAGE) this.#framesRefused = true;
			// Logged out or refused for good: do not knock again.
			if (event.code === CloseCode.UNAUTHORIZED || this.#stopped) return;
			this.#retryTimer = setTimeout(() => this.#connect(), this.#retryMs);
			this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
		};
	}

	/**
	 * Queues a delivery acknowledgement of the room's last message (by someone else): sent at the
	 * end of this turn, or within ACK_EVERY_MS of the previous frame, on the socket open then. A
	 * queue the socket closed on is dropped: the next snapshot names those rooms again.
	 */
	#acknowledge(roomId: string, last: LastMessage | null): void {
		if (!last || last.author === this.#userId || this.#acked.get(roomId) === last.id) return;
		if (this.#toAck) {
			this.#toAck.set(roomId, last.id);
			return;
		}
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a send queue, not state
		this.#toAck = new Map([[roomId, last.id]]);
		const flush = (): void => {
			const queued = this.#toAck;
			this.#toAck = null;
			const ws = this.#ws;
			if (!queued || ws?.readyState !== WebSocket.OPEN) return;
			const rooms = [...queued].map(([roomId, upTo]) => ({ roomId, upTo }));
			ws.send(encodeClientFrame({ type: 'delivered', rooms }));
			this.#ackSentAt = performance.now();
			for (const { roomId, upTo } of rooms) this.#acked.set(roomId, upTo);
		};
		const wait = this.#ackSentAt + ACK_EVERY_MS - performance.now();
		if (wait <= 0) queueMicrotask(flush);
		else this.#ackTimer = setTimeout(flush, wait);
	}

	#reconnectNow(): void {
		if (this.#ws || this.#stopped) return;
		clearTimeout(this.#retryTimer);
		this.#retryMs = RECONNECT_FIRST_MS;
		this.#connect();
	}

	#replace(rooms: readonly RoomSummary[]): void {
		// A lookup for this call only, not state.
		// eslint-disable-next-line svelte/prefer-svelte-reactivity
		const ids = new Set(rooms.map((room) => room.id));
		for (const id of [...this.rooms.keys()]) if (!ids.has(id)) this.rooms.delete(id);
		for (const room of rooms) this.rooms.set(room.id, room);
	}

	#scheduleSave(): void {
		clearTimeout(this.#saveTimer);
		this.#saveTimer = setTimeout(() => {
			const list: SavedList = {
				userId: this.#userId,
				rooms: [...this.rooms.values()],
				defaultLevel: this.defaultLevel
			};
			saveSummaries(list).catch(() => {
				// Private mode or quota: the list is still live; it just will not show offline.
			});
		}, SAVE_DELAY_MS);
	}
}

/** PUTs a JSON body; answers the server's error message (or a network one), or null. */
async function putJson(path: string, body: unknown): Promise<string | null> {
	try {
		const response = await fetch(path, {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});
		if (response.ok) return null;
		const answer: unknown = await response.json().catch(() => null);
		const error =
			typeof answer === 'object' && answer !== null && 'error' in answer ? answer.error : null;
		return typeof error === 'string' ? error : `The server answered ${response.status}.`;
	} catch {
		return 'No connection to the server: try again when online.';
	}
}
