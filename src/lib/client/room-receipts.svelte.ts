/**
 * The open room's delivery receipts (docs/design.md "Delivered and read"): its members with how
 * far their devices have received the room, from `GET /api/rooms/<id>/receipts` when the page
 * opens and whenever the summary channel reconnects, kept live by the channel's `deliveries`
 * frames. Kept in localStorage, so ticks opened offline still know the members.
 */
import { parseRoomReceipts, type RoomReceipts } from '$lib/protocol/summaries';
import type { Recipient } from './receipts';
import type { DeliveryEvent } from './summaries.svelte';

export class RoomReceiptsState {
	/** Null until known (from the server or this browser's cache). */
	recipients: readonly Recipient[] | null = $state.raw(null);
	readonly #roomId: string;
	readonly #cacheKey: string;
	#inFlight: Promise<void> | null = null;

	constructor(userId: string, roomId: string) {
		this.#roomId = roomId;
		this.#cacheKey = `parley:receipts:${userId}:${roomId}`;
		let cached: unknown = null;
		try {
			cached = JSON.parse(localStorage.getItem(this.#cacheKey) ?? 'null');
		} catch {
			// A broken cache entry: the server's answer replaces it.
		}
		this.recipients = parseRoomReceipts(cached)?.members ?? null;
	}

	refresh(): Promise<void> {
		this.#inFlight ??= this.#fetch().finally(() => (this.#inFlight = null));
		return this.#inFlight;
	}

	/** A `deliveries` frame: those members' marks moved (a member not listed yet: ask again). */
	apply(event: DeliveryEvent): void {
		if (event.roomId !== this.#roomId) return;
		const list = this.recipients;
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- local lookups, never rendered
		const known = new Set(list?.map((member) => member.id));
		if (!list || event.marks.some((mark) => !known.has(mark.userId))) {
			void this.refresh();
			return;
		}
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- local lookups, never rendered
		const moved = new Map(event.marks.map((mark) => [mark.userId, mark]));
		this.#set(
			list.map((member) => {
				const mark = moved.get(member.id);
				return mark ? { ...member, delivered: { upTo: mark.upTo, ts: mark.ts } } : member;
			})
		);
	}

	async #fetch(): Promise<void> {
		try {
			const response = await fetch(`/api/rooms/${encodeURIComponent(this.#roomId)}/receipts`);
			if (!response.ok) return;
			const parsed = parseRoomReceipts(await response.json());
			if (parsed) this.#set(parsed.members);
		} catch {
			// Offline or the server is away: keep what we have.
		}
	}

	#set(members: readonly Recipient[]): void {
		this.recipients = members;
		const saved: RoomReceipts = { members: [...members] };
		try {
			localStorage.setItem(this.#cacheKey, JSON.stringify(saved));
		} catch {
			// Quota: the receipts still show; they just will not offline.
		}
	}
}
