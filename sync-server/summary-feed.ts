/**
 * The summary channel's server side (docs/design.md "Summary channel"): every user socket of
 * this instance (summary-upgrade.ts) holds its user's rooms, each with its summary, and keeps
 * them live from what the sync server commits. Fed through ONE hook: `committed`, a listener of
 * the commit log (after the commit, like the bus publisher). It takes the two things a summary
 * follows — new messages and read marks — as the gate parsed them (`Written`: nothing is decoded
 * again) and hands them to this instance's sockets and, over the bus's control channel, to the
 * others'.
 * Nothing is written per message: a read mark is one row per member (`storage.summaries`).
 *
 * Authorisation: a socket is only ever told about the rooms of its latest listing from storage
 * (memberships now), minus the ones revoked since. A revocation drops the room from the user's
 * sockets within the tick here and on every instance through the bus. A bus message is lost
 * only with the connection that carried it, and the bus resync that follows re-lists every
 * socket; as a safety net beyond that, every socket is re-listed once per
 * SUMMARY_RELIST_INTERVAL_MS, spread evenly over it (a slice a second), never all at once.
 */
import {
	MAX_DELIVERY_MARKS,
	MAX_PRESENCE_USERS,
	encodeSummaryFrame,
	previewOf,
	type DeliveredAck,
	type DeliveryMark,
	type RoomSummary,
	type SummaryFrame
} from '../src/lib/protocol/summaries';
import { CloseCode } from '../src/lib/protocol/wire';
import { mentionsUser } from '../src/lib/protocol/mentions';
import type {
	DeliveryMarkRecord,
	ReadMarkRecord,
	SummaryStorage
} from '../src/lib/server/storage/types';
import { listSummaries, summaryFromRecord, type SummaryListing } from '../src/lib/server/summaries';
import type { Written } from './gate';
import type { Logger } from './logger';
import type { OnlineChange, OnlineUsers } from './online-users';
import type { Bus, DeliveryNotice, SummaryActivity, Unsubscribe } from './types';

export type { SummaryActivity } from './types';

/** One committed update, as the hook hands it over. */
export interface CommittedForSummary {
	readonly roomId: string;
	readonly seq: number;
	/** Its last new message and its read marks, as the gate parsed them (no second decode). */
	readonly written: Written;
	readonly sender: {
		readonly userId: string;
		readonly username: string;
		/** As the connection holds it, kept current by profile changes ('' or absent: none). */
		readonly displayName?: string;
	};
}

/**
 * The new message (the last one in the update, its text cut to a preview, named after its sender
 * when it is theirs) and the read marks an update writes, or null when it writes neither.
 */
export function activityOf(update: CommittedForSummary): SummaryActivity | null {
	const { written, sender, roomId } = update;
	if (written.message === null && written.reads.length === 0) return null;
	let message: SummaryActivity['message'] = null;
	if (written.message) {
		const { id, author, text, ts } = written.message;
		const authorName = author === sender.userId ? sender.displayName || sender.username : null;
		message = { id, author, authorName, text: previewOf(text), ts };
	}
	const reads: ReadMarkRecord[] = written.reads.map((read) => ({ roomId, ...read }));
	return { roomId, seq: update.seq, message, reads };
}

/** What the feed needs of a user socket (summary-upgrade.ts adapts `ws`). */
export interface SummaryClient {
	readonly userId: string;
	readonly username: string;
	readonly sessionId: string;
	send(text: string): void;
	close(code: number, reason: string): void;
}

interface Subscriber {
	readonly client: SummaryClient;
	/** Its rooms: the latest listing minus revocations; null until the first listing. */
	rooms: Map<string, RoomSummary> | null;
	/** Activities that arrived before the first listing, applied after it. */
	early: SummaryActivity[];
	closed: boolean;
	/** The people of its DMs (from the listing): their presence is told unasked. */
	dmPeople: ReadonlySet<string>;
	/** The room whose members' presence it asked for (`watch`), and those members. */
	watchedRoom: string | null;
	roomPeople: ReadonlySet<string>;
	/** Bumped by every `watch`, so a slow members read of an older one is dropped. */
	watchTicket: number;
	/** Everyone whose presence it is told of: dmPeople and roomPeople (the index's keys). */
	watching: ReadonlySet<string>;
	/**
	 * The room its tab has open (`open`; null: none): its room socket brings that room's messages,
	 * so their `room` frames are withheld here (the summary is still kept up to date).
	 */
	openRoom: string | null;
	/** A frame of `openRoom` was withheld since its summary was last sent. */
	withheld: boolean;
	/**
	 * An acknowledgement of the open room's message this feed has not heard of yet (the room
	 * socket can be ahead of the bus): taken when that message arrives.
	 */
	pendingAck: { readonly roomId: string; readonly upTo: string } | null;
}

/** What the upgrade holds of a served socket. */
export interface SummaryConnection {
	/** The socket's device acknowledged rooms up to their last message (its only frame). */
	acknowledge(ack: DeliveredAck): void;
	/** The socket shows this room's members (null: none): tell it their presence. */
	watch(roomId: string | null): void;
	/** The socket's tab has this room open (null: none): withhold its per-message frames. */
	open(roomId: string | null): void;
	leave(): void;
}

/**
 * The periodic re-listing's period. Not the rooms' 30 s membership check: a user socket's
 * listing is a storage read of every room of the user (~0.4 ms for a few rooms, more for
 * hundreds), and at 30 s, all at once, 7,500 sockets cost 3 s of CPU in one burst (p99 1.3 s in
 * the rooms-summaries bench). Revocations and memberships reach the sockets by events; this only
 * heals what a lost event would leave.
 */
export const SUMMARY_RELIST_INTERVAL_MS = 5 * 60_000;
/** The periodic re-listing goes in slices this far apart (a period shorter than it: one slice). */
const RELIST_SLICE_MS = 1_000;

/**
 * Delivery acknowledgements are gathered this long, then written in one transaction and told
 * room by room: per turn, a busy instance wrote a transaction and a bus message for nearly every
 * acknowledgement (four per message in a room of five). A tick goes double this much later.
 */
const DELIVERY_BATCH_MS = 100;
/**
 * Notices per activity (the bus's schema takes 10,000; one `deliveries` frame takes 1,000: a room
 * of 50,000 goes in pieces).
 */
const MAX_NOTICES_PER_ACTIVITY = MAX_DELIVERY_MARKS;

/** Authors remembered per room (the latest ones) to tell of a delivery mark that covers them. */
const RECENT_AUTHORS_PER_ROOM = 8;
/** Rooms whose recent authors are remembered (the least recently active are forgotten). */
const RECENT_AUTHOR_ROOMS = 10_000;

export interface SummaryFeedOptions {
	readonly storage: SummaryStorage;
	readonly bus: Bus;
	readonly log: Logger;
	/** Every socket is re-listed once per this many ms. Default: SUMMARY_RELIST_INTERVAL_MS. */
	readonly recheckIntervalMs?: number;
	/**
	 * Resolves once what this instance committed so far is in the search index, which the
	 * storage's summaries derive the last message and the counts from (the sync server indexes
	 * in batches, ~100 ms after a commit). Every storage read waits for it.
	 */
	readonly indexed?: () => Promise<void>;
	/**
	 * The ids of the rooms the user is a member of now: who is told of their profile change.
	 * Default: none (only the user's own sockets are told).
	 */
	readonly roomsOf?: (userId: string) => Promise<readonly string[]>;
	/**
	 * Who is online across instances; the feed reports its sockets to it. Default: none (no
	 * presence frames).
	 */
	readonly online?: OnlineUsers;
	/** A room's members' user ids, for `watch`. Default: none (a watch tells nobody). */
	readonly membersOf?: (roomId: string) => Promise<readonly string[]>;
}

/**
 * Storage re-read again when its room looks older than what this feed was told (another
 * instance's commits reach the index up to ~100 ms after their summary reached this one): after
 * 150, 300, then 600 ms; the last read is taken as it is.
 */
const LAGGING_RETRIES = 3;
const LAGGING_RETRY_MS = 150;

/**
 * Whether a summary read from storage is behind the one the feed holds: the last message it was
 * told of is not the stored one, and the stored one is not newer. (A room can only gain messages;
 * a deleted one stays in the index, marked.)
 */
export function storedIsBehind(known: RoomSummary | undefined, stored: RoomSummary): boolean {
	const told = known?.last;
	if (!told) return false;
	const last = stored.last;
	return last === null || (last.id !== told.id && last.ts <= told.ts);
}

export class SummaryFeed {
	readonly #options: SummaryFeedOptions;
	readonly #subscribers = new Set<Subscriber>();
	/**
	 * roomId -> the listed sockets holding it, so an activity costs its room's members, not every
	 * socket of the instance (2,000 rooms x 5 members is 10,000 sockets); sockets not listed yet
	 * keep what arrives in `early`.
	 */
	readonly #byRoom = new Map<string, Set<Subscriber>>();
	readonly #unlisted = new Set<Subscriber>();
	/** userId -> the sockets told of that person's presence (Subscriber.watching). */
	readonly #watchers = new Map<string, Set<Subscriber>>();
	/** The read marks waiting to be recorded (one write per batch, off the hot path). */
	#marks: { marks: ReadMarkRecord[]; activities: SummaryActivity[] } | null = null;
	/** Delivery acknowledgements waiting to be recorded, one per room and member (one write per batch). */
	#deliveries: Map<string, { mark: DeliveryMarkRecord; authors: string[] }> | null = null;
	#deliveryTimer: ReturnType<typeof setTimeout> | undefined;
	/** roomId -> the latest authors of its messages and their seqs (least recently active first). */
	readonly #recentAuthors = new Map<string, Map<string, number>>();
	readonly #unsubscribe: Unsubscribe[] = [];
	readonly #timer: ReturnType<typeof setInterval>;
	/** The periodic re-listing's sockets still to go this round, and how many go per slice. */
	#round: Subscriber[] = [];
	#roundSlice = 0;
	/** Re-reads of rooms whose stored summary lagged (storedIsBehind), cleared on close. */
	readonly #retries = new Set<ReturnType<typeof setTimeout>>();

	constructor(options: SummaryFeedOptions) {
		this.#options = options;
		this.#unsubscribe.push(
			options.bus.onControl((message) => {
				if (message.kind === 'summary') this.#apply(message.activity);
				else if (message.kind === 'user-rooms') this.#membership(message.userId, message.removed);
				else if (message.kind === 'session-ended') this.endSession(message.sessionId);
				else if (message.kind === 'room-settings') this.roomChanged(message.roomId);
				else if (message.kind === 'inbox') this.#tellInbox(message.userId);
				else if (message.kind === 'profile') this.profileChanged(message.userId);
			}),
			options.bus.onResync(() => void this.relistAll())
		);
		if (options.online) {
			this.#unsubscribe.push(options.online.onChange((changes) => this.#presenceChanged(changes)));
		}
		const period = options.recheckIntervalMs ?? SUMMARY_RELIST_INTERVAL_MS;
		const slices = Math.max(1, Math.round(period / RELIST_SLICE_MS));
		this.#timer = setInterval(() => this.#relistSlice(slices), period / slices);
		this.#timer.unref();
	}

	/** How many user sockets this instance serves. */
	get size(): number {
		return this.#subscribers.size;
	}

	/** Serves a user socket: its listing now, then every change. */
	connect(client: SummaryClient): SummaryConnection {
		const subscriber: Subscriber = {
			client,
			rooms: null,
			early: [],
			closed: false,
			dmPeople: new Set(),
			watchedRoom: null,
			roomPeople: new Set(),
			watchTicket: 0,
			watching: new Set(),
			openRoom: null,
			withheld: false,
			pendingAck: null
		};
		this.#subscribers.add(subscriber);
		this.#unlisted.add(subscriber);
		this.#options.online?.connected(client.userId);
		void this.#relist(subscriber);
		return {
			acknowledge: (ack) => this.#acknowledge(subscriber, ack),
			watch: (roomId) => {
				subscriber.watchedRoom = roomId;
				// Before the first listing, the listing reads the members.
				if (subscriber.rooms !== null) void this.#readRoomPeople(subscriber);
			},
			open: (roomId) => this.#open(subscriber, roomId),
			leave: () => {
				if (subscriber.closed) return;
				subscriber.closed = true;
				this.#subscribers.delete(subscriber);
				this.#unlisted.delete(subscriber);
				this.#setRooms(subscriber, null);
				this.#setWatching(subscriber, new Set());
				this.#options.online?.disconnected(client.userId);
			}
		};
	}

	/**
	 * The socket's tab opened another room (or none). The room it leaves gets its summary now if a
	 * frame of it was withheld, so the tab's list catches up.
	 */
	#open(subscriber: Subscriber, roomId: string | null): void {
		const left = subscriber.openRoom;
		if (left === roomId) return;
		subscriber.openRoom = roomId;
		subscriber.pendingAck = null;
		const room = left === null ? undefined : subscriber.rooms?.get(left);
		if (subscriber.withheld && room) this.#send(subscriber, { type: 'room', room });
		subscriber.withheld = false;
	}

	/**
	 * A device has received rooms up to their last message. Taken only for a room this socket was
	 * told about (a member now), only when `upTo` is the room's last message as this feed knows it
	 * (told, or withheld from the open room: so it exists, and its seq is known), never for the
	 * user's own message, and only for the socket's own user; anything else is ignored, but for the
	 * open room, whose room socket can be ahead of the bus: that one waits for its message
	 * (`pendingAck`). Recorded once per batch (DELIVERY_BATCH_MS); a mark only moves forward.
	 */
	#acknowledge(subscriber: Subscriber, ack: DeliveredAck): void {
		const { userId } = subscriber.client;
		for (const { roomId, upTo } of ack.rooms) {
			const room = subscriber.rooms?.get(roomId);
			const last = room?.last;
			if (room && roomId === subscriber.openRoom && last?.id !== upTo) {
				subscriber.pendingAck = { roomId, upTo };
				continue;
			}
			if (!room || !last || last.id !== upTo || last.author === userId) continue;
			const key = `${roomId}\u0000${userId}`;
			if (!this.#deliveries) {
				this.#deliveries = new Map();
				this.#deliveryTimer = setTimeout(() => void this.#writeDeliveries(), DELIVERY_BATCH_MS);
				this.#deliveryTimer.unref();
			}
			const queued = this.#deliveries.get(key);
			if (queued && queued.mark.seq >= room.lastSeq) continue;
			const authors = new Set([last.author]);
			for (const [author, seq] of this.#recentAuthors.get(roomId) ?? []) {
				if (seq <= room.lastSeq && author !== userId) authors.add(author);
			}
			this.#deliveries.set(key, {
				mark: { roomId, userId, upTo, seq: room.lastSeq, ts: Date.now() },
				authors: [...authors]
			});
		}
	}

	async #writeDeliveries(): Promise<void> {
		const batch = this.#deliveries;
		this.#deliveries = null;
		clearTimeout(this.#deliveryTimer);
		if (!batch) return;
		let written: DeliveryMarkRecord[];
		try {
			written = await this.#options.storage.recordDeliveries(
				[...batch.values()].map((queued) => queued.mark)
			);
		} catch (error) {
			this.#options.log.error({ err: error }, 'delivery marks not recorded');
			return;
		}
		// One activity per room, with every mark of it that moved: one pass over its sockets.
		const byRoom = new Map<string, { seq: number; notices: DeliveryNotice[] }>();
		for (const mark of written) {
			const authors = batch.get(`${mark.roomId}\u0000${mark.userId}`)?.authors ?? [];
			const notice: DeliveryNotice = { userId: mark.userId, upTo: mark.upTo, ts: mark.ts, authors };
			const room = byRoom.get(mark.roomId);
			if (room) {
				room.seq = Math.max(room.seq, mark.seq);
				room.notices.push(notice);
			} else {
				byRoom.set(mark.roomId, { seq: mark.seq, notices: [notice] });
			}
		}
		for (const [roomId, { seq, notices }] of byRoom) {
			for (let start = 0; start < notices.length; start += MAX_NOTICES_PER_ACTIVITY) {
				const delivered = notices.slice(start, start + MAX_NOTICES_PER_ACTIVITY);
				const activity: SummaryActivity = { roomId, seq, message: null, reads: [], delivered };
				this.#apply(activity);
				this.#options.bus.publish({ kind: 'summary', activity });
			}
		}
	}

	/** Remembers who wrote in a room lately (bounded), for the delivery notices. */
	#noteAuthor(roomId: string, author: string, seq: number): void {
		const authors = this.#recentAuthors.get(roomId) ?? new Map<string, number>();
		this.#recentAuthors.delete(roomId);
		this.#recentAuthors.set(roomId, authors);
		authors.delete(author);
		authors.set(author, seq);
		if (authors.size > RECENT_AUTHORS_PER_ROOM) {
			const oldest = authors.keys().next().value;
			if (oldest !== undefined) authors.delete(oldest);
		}
		if (this.#recentAuthors.size > RECENT_AUTHOR_ROOMS) {
			const stale = this.#recentAuthors.keys().next().value;
			if (stale !== undefined) this.#recentAuthors.delete(stale);
		}
	}

	/** The hook (a commit-log listener): what was committed here, already durable. */
	committed(updates: readonly CommittedForSummary[]): void {
		for (const update of updates) {
			let activity: SummaryActivity | null;
			try {
				activity = activityOf(update);
			} catch (error) {
				this.#options.log.warn({ err: error, roomId: update.roomId }, 'summary decode failed');
				continue;
			}
			if (!activity) continue;
			if (activity.message) {
				// Read marks wait for their row (a socket's recount reads it); messages go now.
				const now = { ...activity, reads: [] };
				this.#apply(now);
				this.#options.bus.publish({ kind: 'summary', activity: now });
			}
			if (activity.reads.length > 0) this.#queueMarks({ ...activity, message: null });
		}
	}

	/**
	 * The HTTP side changed the user's notification levels: re-list their rooms on every
	 * instance, so every device counts and notifies alike.
	 */
	levelsChanged(userId: string): void {
		this.membershipAdded(userId);
	}

	/** The HTTP side added a member (created, joined, invited, DM): re-list their rooms. */
	membershipAdded(userId: string): void {
		this.#membership(userId, undefined);
		this.#options.bus.publish({ kind: 'user-rooms', userId });
	}

	/** The HTTP side removed a member: the room leaves their sockets now, on every instance. */
	membershipRevoked(roomId: string, userId: string): void {
		this.#membership(userId, roomId);
		this.#options.bus.publish({ kind: 'user-rooms', userId, removed: roomId });
	}

	/**
	 * A room's name, topic or archive state changed (here, or on another instance: the hub
	 * publishes it): every socket holding the room gets a fresh snapshot.
	 */
	roomChanged(roomId: string): void {
		for (const subscriber of [...(this.#byRoom.get(roomId) ?? [])]) void this.#relist(subscriber);
	}

	/**
	 * A user changed their display name (here: the hub tells the other instances, whose feeds
	 * hear it on the control channel): every socket whose listing shows that person — as the
	 * author of a room's last message, as one of a DM's people, or their own — gets a fresh
	 * snapshot. A rare event; nothing is looked up per message.
	 */
	profileChanged(userId: string): void {
		for (const subscriber of [...this.#subscribers]) {
			const rooms = subscriber.rooms?.values() ?? [];
			const shows =
				subscriber.client.userId === userId ||
				[...rooms].some(
					(room) =>
						room.last?.author === userId || room.others.some((person) => person.id === userId)
				);
			if (shows) void this.#relist(subscriber);
		}
		void this.#tellProfile(userId);
	}

	/**
	 * `{ type: "profile", userId }` to the user's sockets and to those of everyone who shares a
	 * room with them (this instance's listed sockets of those rooms; every instance does the
	 * same): an open room there fetches its members' names and pictures again.
	 */
	async #tellProfile(userId: string): Promise<void> {
		let roomIds: readonly string[];
		try {
			roomIds = (await this.#options.roomsOf?.(userId)) ?? [];
		} catch (error) {
			this.#options.log.warn({ err: error, userId }, 'rooms of a changed profile not read');
			roomIds = [];
		}
		const told = new Set<Subscriber>();
		for (const subscriber of this.#subscribers) {
			// Their own sockets, and those of their DMs' people (`roomsOf` lists ordinary rooms).
			if (subscriber.client.userId === userId || subscriber.dmPeople.has(userId)) {
				told.add(subscriber);
			}
		}
		for (const roomId of roomIds) {
			for (const subscriber of this.#byRoom.get(roomId) ?? []) told.add(subscriber);
		}
		for (const subscriber of told) this.#send(subscriber, { type: 'profile', userId });
	}

	/**
	 * To-device messages reached devices of these users (the HTTP side stored them): their user
	 * sockets on every instance get `{ type: "inbox" }`. It names no device: each open encrypted
	 * room of the user reads its own device's inbox (one request), finding nothing if the
	 * messages were for another device of theirs.
	 */
	inboxFilled(userIds: readonly string[]): void {
		for (const userId of userIds) {
			this.#tellInbox(userId);
			this.#options.bus.publish({ kind: 'inbox', userId });
		}
	}

	#tellInbox(userId: string): void {
		for (const subscriber of this.#subscribers) {
			if (subscriber.client.userId === userId) this.#send(subscriber, { type: 'inbox' });
		}
	}

	/**
	 * A session logged out: its user sockets close with 4401 (the hub publishes `session-ended`
	 * to the other instances, whose feeds hear it on the control channel).
	 */
	endSession(sessionId: string): void {
		for (const subscriber of [...this.#subscribers]) {
			if (subscriber.client.sessionId === sessionId) {
				subscriber.client.close(CloseCode.UNAUTHORIZED, 'logged out');
			}
		}
	}

	/** Re-reads every socket's rooms from storage (bus resync, and every interval). */
	async relistAll(): Promise<void> {
		await Promise.all([...this.#subscribers].map((subscriber) => this.#relist(subscriber)));
	}

	/**
	 * One slice of the periodic re-listing: the sockets of this round (those open when it began)
	 * are re-listed `slices` slices apart, so each is re-listed once per period.
	 */
	#relistSlice(slices: number): void {
		if (this.#round.length === 0) {
			this.#round = [...this.#subscribers];
			this.#roundSlice = Math.ceil(this.#round.length / slices);
		}
		for (const subscriber of this.#round.splice(0, this.#roundSlice)) {
			if (!subscriber.closed) void this.#relist(subscriber);
		}
	}

	close(): void {
		clearInterval(this.#timer);
		// The gathered acknowledgements go now, while storage is still open.
		void this.#writeDeliveries();
		this.#round = [];
		for (const retry of this.#retries) clearTimeout(retry);
		this.#retries.clear();
		for (const unsubscribe of this.#unsubscribe) unsubscribe();
		for (const subscriber of this.#subscribers) {
			subscriber.client.close(CloseCode.SERVICE_RESTART, 'server restarting');
		}
		this.#subscribers.clear();
		this.#unlisted.clear();
		this.#byRoom.clear();
	}

	/** Replaces a socket's listing, keeping the room index in step (null: none, it left). */
	#setRooms(subscriber: Subscriber, rooms: Map<string, RoomSummary> | null): void {
		for (const roomId of subscriber.rooms?.keys() ?? []) this.#dropFromRoom(subscriber, roomId);
		subscriber.rooms = rooms;
		if (rooms === null) return;
		this.#unlisted.delete(subscriber);
		for (const roomId of rooms.keys()) {
			let holders = this.#byRoom.get(roomId);
			if (!holders) this.#byRoom.set(roomId, (holders = new Set()));
			holders.add(subscriber);
		}
	}

	/** The room leaves a socket's listing (and the index). True when it was there. */
	#removeRoom(subscriber: Subscriber, roomId: string): boolean {
		if (!subscriber.rooms?.delete(roomId)) return false;
		this.#dropFromRoom(subscriber, roomId);
		if (subscriber.watchedRoom === roomId) void this.#readRoomPeople(subscriber);
		return true;
	}

	/**
	 * Reads the members of the room the socket watches, if it is in its listing (a member now:
	 * nobody learns the presence of strangers), and tells it their presence.
	 */
	async #readRoomPeople(subscriber: Subscriber): Promise<void> {
		const ticket = ++subscriber.watchTicket;
		const roomId = subscriber.watchedRoom;
		const { membersOf } = this.#options;
		let people: ReadonlySet<string> = new Set();
		if (roomId !== null && membersOf && subscriber.rooms?.has(roomId)) {
			try {
				people = new Set(await membersOf(roomId));
			} catch (error) {
				this.#options.log.warn({ err: error, roomId }, 'members of a watched room not read');
				return;
			}
			if (ticket !== subscriber.watchTicket || !subscriber.rooms?.has(roomId)) return;
		}
		if (subscriber.closed) return;
		subscriber.roomPeople = people;
		this.#setWatching(subscriber, new Set([...subscriber.dmPeople, ...people]));
	}

	/** Moves the socket's presence index to `next`, telling it of the people new in it. */
	#setWatching(subscriber: Subscriber, next: ReadonlySet<string>): void {
		const added: string[] = [];
		for (const userId of subscriber.watching) {
			if (next.has(userId)) continue;
			const watchers = this.#watchers.get(userId);
			watchers?.delete(subscriber);
			if (watchers?.size === 0) this.#watchers.delete(userId);
		}
		for (const userId of next) {
			if (subscriber.watching.has(userId)) continue;
			let watchers = this.#watchers.get(userId);
			if (!watchers) this.#watchers.set(userId, (watchers = new Set()));
			watchers.add(subscriber);
			added.push(userId);
		}
		subscriber.watching = next;
		const online = this.#options.online;
		if (online) {
			this.#sendPresence(
				subscriber,
				added.map((id) => ({ id, online: online.isOnline(id) }))
			);
		}
	}

	/** People came online or went offline: the sockets watching them are told, one frame each. */
	#presenceChanged(changes: readonly OnlineChange[]): void {
		const told = new Map<Subscriber, { id: string; online: boolean }[]>();
		for (const { userId, online } of changes) {
			for (const subscriber of this.#watchers.get(userId) ?? []) {
				let users = told.get(subscriber);
				if (!users) told.set(subscriber, (users = []));
				users.push({ id: userId, online });
			}
		}
		for (const [subscriber, users] of told) this.#sendPresence(subscriber, users);
	}

	#sendPresence(subscriber: Subscriber, users: readonly { id: string; online: boolean }[]): void {
		for (let start = 0; start < users.length; start += MAX_PRESENCE_USERS) {
			this.#send(subscriber, {
				type: 'presence',
				users: users.slice(start, start + MAX_PRESENCE_USERS)
			});
		}
	}

	#dropFromRoom(subscriber: Subscriber, roomId: string): void {
		const holders = this.#byRoom.get(roomId);
		holders?.delete(subscriber);
		if (holders?.size === 0) this.#byRoom.delete(roomId);
	}

	#membership(userId: string, removed: string | undefined): void {
		for (const subscriber of this.#subscribers) {
			if (subscriber.client.userId !== userId) continue;
			if (removed !== undefined && this.#removeRoom(subscriber, removed)) {
				this.#send(subscriber, { type: 'removed', roomId: removed });
			}
			void this.#relist(subscriber);
		}
	}

	async #relist(subscriber: Subscriber): Promise<void> {
		const { client } = subscriber;
		let listing: SummaryListing;
		try {
			await this.#options.indexed?.();
			listing = await listSummaries(this.#options.storage, {
				id: client.userId,
				username: client.username
			});
		} catch (error) {
			this.#options.log.error({ err: error, userId: client.userId }, 'summary listing failed');
			return;
		}
		if (subscriber.closed) return;
		const rooms = new Map<string, RoomSummary>();
		const lagging: string[] = [];
		for (const room of listing.rooms) {
			const known = subscriber.rooms?.get(room.id);
			if (known && storedIsBehind(known, room)) {
				// Its settings as stored, its messages as told; read again shortly.
				const { last, unread, mentions } = known;
				rooms.set(room.id, {
					...room,
					lastSeq: Math.max(room.lastSeq, known.lastSeq),
					last,
					unread,
					mentions
				});
				lagging.push(room.id);
			} else {
				rooms.set(room.id, room);
			}
		}
		const first = subscriber.rooms === null;
		this.#setRooms(subscriber, rooms);
		this.#updateDmPeople(subscriber, first);
		for (const roomId of lagging) this.#recountLater(subscriber, roomId, 0);
		this.#send(subscriber, {
			type: 'snapshot',
			rooms: [...rooms.values()],
			defaultLevel: listing.defaultLevel
		});
		subscriber.withheld = false;
		this.#takePendingAck(subscriber);
		for (const activity of subscriber.early.splice(0)) this.#applyTo(subscriber, activity);
	}

	/**
	 * The people of the socket's DMs, from its new listing; a watched room it is no longer in is
	 * dropped, and on the first listing a watch sent before it is read.
	 */
	#updateDmPeople(subscriber: Subscriber, first: boolean): void {
		const rooms = subscriber.rooms ?? new Map<string, RoomSummary>();
		const dmPeople = new Set<string>();
		for (const room of rooms.values()) for (const person of room.others) dmPeople.add(person.id);
		subscriber.dmPeople = dmPeople;
		const watched = subscriber.watchedRoom;
		if (watched !== null && (first || !rooms.has(watched))) {
			void this.#readRoomPeople(subscriber);
			if (!first) return;
		}
		this.#setWatching(subscriber, new Set([...dmPeople, ...subscriber.roomPeople]));
	}

	#apply(activity: SummaryActivity): void {
		if (activity.message) this.#noteAuthor(activity.roomId, activity.message.author, activity.seq);
		for (const subscriber of this.#unlisted) subscriber.early.push(activity);
		for (const subscriber of this.#byRoom.get(activity.roomId) ?? []) {
			this.#applyTo(subscriber, activity);
		}
	}

	#applyTo(subscriber: Subscriber, activity: SummaryActivity): void {
		if (subscriber.rooms === null) {
			subscriber.early.push(activity);
			return;
		}
		const room = subscriber.rooms.get(activity.roomId);
		// Only rooms of the latest listing: never one the user is not (or no longer) in.
		if (!room) return;
		const { userId, username } = subscriber.client;
		if (activity.delivered) {
			// One frame for the marks that concern this user (an activity holds at most
			// MAX_DELIVERY_MARKS), not one per mark: in a busy room that was most of the channel.
			const marks: DeliveryMark[] = [];
			for (const notice of activity.delivered) {
				if (!notice.authors.includes(userId) || notice.userId === userId) continue;
				marks.push({ userId: notice.userId, upTo: notice.upTo, ts: notice.ts });
			}
			if (marks.length > 0) this.#send(subscriber, { type: 'deliveries', roomId: room.id, marks });
		}
		const message = activity.message;
		const mark = activity.reads.find((read) => read.userId === userId);
		// A message at or below the listing's seq is in it already (read marks come late: any seq).
		const fresh = message !== null && activity.seq > room.lastSeq && message.id !== room.last?.id;
		// The socket's own copy, changed in place: one activity touches every member's socket,
		// and a copy per socket per message was most of this channel's cost (allocation, GC).
		room.lastSeq = Math.max(room.lastSeq, activity.seq);
		if (!fresh && !mark) {
			// Someone else's read mark, or a message told already: nothing this socket shows changed.
			this.#takePendingAck(subscriber);
			return;
		}
		if (fresh) {
			const { id, author, text, ts } = message;
			room.last = { id, author, authorName: message.authorName ?? null, text, ts, deleted: false };
			if (author !== userId) {
				room.unread += 1;
				if (mentionsUser(text, username)) room.mentions += 1;
			}
		}
		if (mark) {
			if (mark.upTo !== room.last?.id) {
				// Read up to an earlier message: how many are left is storage's to count.
				void this.#recount(subscriber, activity.roomId);
				return;
			}
			room.unread = 0;
			room.mentions = 0;
		}
		this.#tellRoom(subscriber, room);
		this.#takePendingAck(subscriber);
	}

	/**
	 * A room's summary changed: the socket is sent it, unless its tab has that room open (its room
	 * socket brought the change): then it is withheld until the tab leaves the room.
	 */
	#tellRoom(subscriber: Subscriber, room: RoomSummary): void {
		if (subscriber.openRoom === room.id) subscriber.withheld = true;
		else this.#send(subscriber, { type: 'room', room });
	}

	/** Takes the socket's waiting acknowledgement once its message is the room's last. */
	#takePendingAck(subscriber: Subscriber): void {
		const pending = subscriber.pendingAck;
		if (!pending || subscriber.rooms?.get(pending.roomId)?.last?.id !== pending.upTo) return;
		subscriber.pendingAck = null;
		this.#acknowledge(subscriber, { type: 'delivered', rooms: [pending] });
	}

	/**
	 * One room's summary read again from storage (a read mark before the last message; a stored
	 * summary that lagged). `attempt` counts the reads that found it lagging (storedIsBehind).
	 */
	async #recount(subscriber: Subscriber, roomId: string, attempt = 0): Promise<void> {
		const { client } = subscriber;
		try {
			await this.#options.indexed?.();
			const record = await this.#options.storage.ofRoom(roomId, client.userId, client.username);
			if (subscriber.closed || !subscriber.rooms?.has(roomId)) return;
			if (!record) {
				this.#removeRoom(subscriber, roomId);
				this.#send(subscriber, { type: 'removed', roomId });
				return;
			}
			const room = summaryFromRecord(record, client.username);
			if (attempt < LAGGING_RETRIES && storedIsBehind(subscriber.rooms.get(roomId), room)) {
				this.#recountLater(subscriber, roomId, attempt);
				return;
			}
			subscriber.rooms.set(roomId, room);
			this.#tellRoom(subscriber, room);
		} catch (error) {
			this.#options.log.error({ err: error, roomId }, 'summary recount failed');
		}
	}

	#recountLater(subscriber: Subscriber, roomId: string, attempt: number): void {
		const retry = setTimeout(
			() => {
				this.#retries.delete(retry);
				if (!subscriber.closed) void this.#recount(subscriber, roomId, attempt + 1);
			},
			LAGGING_RETRY_MS * 2 ** attempt
		);
		retry.unref();
		this.#retries.add(retry);
	}

	#queueMarks(activity: SummaryActivity): void {
		if (!this.#marks) {
			this.#marks = { marks: [], activities: [] };
			setImmediate(() => void this.#writeMarks());
		}
		this.#marks.marks.push(...activity.reads);
		this.#marks.activities.push(activity);
	}

	async #writeMarks(): Promise<void> {
		const batch = this.#marks;
		this.#marks = null;
		if (!batch) return;
		try {
			await this.#options.storage.recordReadMarks(batch.marks);
		} catch (error) {
			this.#options.log.error({ err: error }, 'read marks not recorded');
		}
		for (const activity of batch.activities) {
			this.#apply(activity);
			this.#options.bus.publish({ kind: 'summary', activity });
		}
	}

	#send(subscriber: Subscriber, frame: SummaryFrame): void {
		if (!subscriber.closed) subscriber.client.send(encodeSummaryFrame(frame));
	}
}
