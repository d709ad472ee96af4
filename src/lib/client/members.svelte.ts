/**
 * Names of a room's members (username, display name and picture version), for showing message
 * authors and for mentions. Fetched from the API on every room open (so a changed display name shows on the
 * next open) and kept in localStorage so a room opened offline still shows names.
 */
import { SvelteMap } from 'svelte/reactivity';
import { shownName } from './avatars';
import { shortId } from './messages';

interface Member {
	readonly id: string;
	readonly username: string;
	/** '' or absent: none chosen (older caches have none). */
	readonly displayName?: string;
	/** Their uploaded picture's version; null or absent: none (older caches have none). */
	readonly avatar?: string | null;
}

/** Don't ask the server again for an unknown author more often than this, in ms. */
const REFETCH_INTERVAL_MS = 5_000;

function parseMembers(data: unknown): Member[] {
	if (typeof data !== 'object' || data === null) return [];
	const list = (data as { members?: unknown }).members;
	if (!Array.isArray(list)) return [];
	return list.filter(
		(m): m is Member =>
			typeof m === 'object' &&
			m !== null &&
			typeof (m as Member).id === 'string' &&
			typeof (m as Member).username === 'string' &&
			['string', 'undefined'].includes(typeof (m as Member).displayName) &&
			((m as Member).avatar === null ||
				['string', 'undefined'].includes(typeof (m as Member).avatar))
	);
}

export class MemberNames {
	readonly #names = new SvelteMap<string, Member>();
	readonly #roomId: string;
	readonly #cacheKey: string;
	#lastFetchMs = 0;
	#inFlight: Promise<void> | null = null;
	#queued: Promise<void> | null = null;

	constructor(roomId: string, self: Member) {
		this.#roomId = roomId;
		this.#cacheKey = `parley:members:${self.id}:${roomId}`;
		const cached = parseMembers(safeParse(localStorage.getItem(this.#cacheKey)));
		for (const member of [self, ...cached]) this.#names.set(member.id, member);
	}

	/** Every member known so far (from the server or the offline cache). */
	get list(): Member[] {
		return [...this.#names.values()];
	}

	/** The author's display name (or username), or a short form of the id until it is known. */
	nameOf(userId: string): string {
		const member = this.#names.get(userId);
		return member ? shownName(member) : shortId(userId);
	}

	/** The person's picture version, or null (none, or not known yet): initials then. */
	avatarOf(userId: string): string | null {
		return this.#names.get(userId)?.avatar ?? null;
	}

	/** The author's username (what "@" mentions), or null until it is known. */
	usernameOf(userId: string): string | null {
		return this.#names.get(userId)?.username ?? null;
	}

	/** Fetches the member list when some of these authors are unknown (and not too often). */
	ensureKnown(userIds: Iterable<string>): void {
		for (const id of userIds) {
			if (!this.#names.has(id)) {
				if (Date.now() - this.#lastFetchMs >= REFETCH_INTERVAL_MS) void this.refresh();
				return;
			}
		}
	}

	/**
	 * Fetches the member list. A call while a fetch runs fetches once more after it (a name
	 * changed meanwhile may not be in the running one's answer).
	 */
	refresh(): Promise<void> {
		if (this.#inFlight) {
			this.#queued ??= this.#inFlight.then(() => {
				this.#queued = null;
				return this.refresh();
			});
			return this.#queued;
		}
		this.#inFlight = this.#fetch().finally(() => {
			this.#inFlight = null;
		});
		return this.#inFlight;
	}

	async #fetch(): Promise<void> {
		this.#lastFetchMs = Date.now();
		try {
			const response = await fetch(`/api/rooms/${encodeURIComponent(this.#roomId)}/members`);
			if (!response.ok) return;
			const members = parseMembers(await response.json());
			if (members.length === 0) return;
			for (const member of members) this.#names.set(member.id, member);
			localStorage.setItem(this.#cacheKey, JSON.stringify({ members }));
		} catch {
			// Offline or the server is away: keep the names we have.
		}
	}
}

function safeParse(raw: string | null): unknown {
	if (raw === null) return null;
	try {
		return JSON.parse(raw);
	} catch {
		return null;
	}
}
