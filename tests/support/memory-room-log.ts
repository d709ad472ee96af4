/**
 * An in-memory `RoomLogStorage` (src/lib/server/storage/types.ts) for the sync core's unit
 * tests: the same transactions as the SQLite one, each whole or not at all, in a Map. Rooms
 * exist once `createRoom` was called. `failNext` makes the next commits reject (a full disk).
 */
import * as Y from 'yjs';
import { UnknownRoomError } from '../../src/lib/server/storage/errors';
import type {
	CommitItem,
	CommitOutcome,
	LoadedRoom,
	RoomFileInfo,
	RoomLogSince,
	RoomLogStorage,
	SealRecord,
	StoredUpdate
} from '../../src/lib/server/storage/types';

interface MemoryRoom {
	epoch: number;
	snapshot: { uptoSeq: number; data: Uint8Array } | null;
	log: StoredUpdate[];
	lastSeq: number;
	owners: Map<number, string>;
	highWater: Map<number, number>;
	sealed: Map<string, string>;
	files: Map<string, RoomFileInfo>;
}

export class MemoryRoomLog implements RoomLogStorage {
	readonly #rooms = new Map<string, MemoryRoom>();
	/** Commits that will still reject (each call takes one). */
	failNext = 0;
	/** How many commit transactions ran (failed ones included). */
	commits = 0;

	createRoom(roomId: string): void {
		this.#rooms.set(roomId, {
			epoch: 0,
			snapshot: null,
			log: [],
			lastSeq: 0,
			owners: new Map(),
			highWater: new Map(),
			sealed: new Map(),
			files: new Map()
		});
	}

	deleteRoom(roomId: string): void {
		this.#rooms.delete(roomId);
	}

	#room(roomId: string): MemoryRoom {
		const room = this.#rooms.get(roomId);
		if (!room) throw new UnknownRoomError(roomId);
		return room;
	}

	async load(roomId: string): Promise<LoadedRoom> {
		const room = this.#room(roomId);
		return {
			updates: [...(room.snapshot ? [room.snapshot.data] : []), ...room.log.map((u) => u.data)],
			seq: room.lastSeq,
			epoch: room.epoch,
			logLength: room.log.length,
			owners: new Map(room.owners),
			highWater: new Map(room.highWater)
		};
	}

	async raiseHighWaterToState(
		roomId: string,
		committed: ReadonlyMap<number, number>
	): Promise<Map<number, number>> {
		const room = this.#room(roomId);
		for (const [clientId, clock] of committed) {
			if (room.owners.has(clientId) && clock > (room.highWater.get(clientId) ?? 0)) {
				room.highWater.set(clientId, clock);
			}
		}
		return new Map(room.highWater);
	}

	async claim(roomId: string, clientId: number, userId: string): Promise<string> {
		const room = this.#room(roomId);
		const owner = room.owners.get(clientId) ?? userId;
		room.owners.set(clientId, owner);
		return owner;
	}

	async commit(batch: readonly CommitItem[]): Promise<CommitOutcome[]> {
		this.commits++;
		if (this.failNext > 0) {
			this.failNext--;
			throw new Error('disk full');
		}
		// Checked first: a deleted room fails the whole transaction, nothing of it stored.
		for (const item of batch) this.#room(item.roomId);
		return batch.map((item): CommitOutcome => {
			const room = this.#room(item.roomId);
			if (item.epoch !== undefined && item.epoch !== room.epoch) return { status: 'stale-epoch' };
			for (const clientId of item.claims ?? []) {
				const owner = room.owners.get(clientId);
				if (owner !== undefined && owner !== item.userId) {
					return { status: 'claimed', clientId, owner };
				}
			}
			for (const clientId of item.claims ?? []) room.owners.set(clientId, item.userId ?? '');
			room.lastSeq++;
			room.log.push({ seq: room.lastSeq, data: item.data });
			for (const [clientId, clock] of item.clocks ?? []) {
				if (clock > (room.highWater.get(clientId) ?? 0)) room.highWater.set(clientId, clock);
			}
			return { status: 'stored', seq: room.lastSeq, data: item.data };
		});
	}

	async readSince(roomId: string, afterSeq: number): Promise<RoomLogSince> {
		const room = this.#room(roomId);
		const snapshot =
			room.snapshot && room.snapshot.uptoSeq > afterSeq
				? [{ seq: room.snapshot.uptoSeq, data: room.snapshot.data }]
				: [];
		return {
			epoch: room.epoch,
			updates: [...snapshot, ...room.log.filter((u) => u.seq > afterSeq)]
		};
	}

	async compact(roomId: string, uptoSeq: number, state: Uint8Array, epoch?: number): Promise<void> {
		const room = this.#room(roomId);
		if (epoch !== undefined && epoch !== room.epoch) return;
		if (room.snapshot && room.snapshot.uptoSeq >= uptoSeq) return;
		room.snapshot = { uptoSeq, data: state };
		room.log = room.log.filter((u) => u.seq > uptoSeq);
	}

	async logLength(roomId: string): Promise<number> {
		return this.#room(roomId).log.length;
	}

	async seal(
		roomId: string,
		expected: { readonly epoch: number; readonly lastSeq: number },
		seal: SealRecord
	): Promise<number | null> {
		const room = this.#room(roomId);
		if (room.epoch !== expected.epoch || room.lastSeq !== expected.lastSeq) return null;
		for (const { id, author } of seal.messageIds) room.sealed.set(id, author);
		room.epoch++;
		room.lastSeq++;
		room.snapshot = { uptoSeq: room.lastSeq, data: seal.head };
		room.log = [];
		room.owners.clear();
		room.highWater.clear();
		return room.epoch;
	}

	async sealedAuthorOf(roomId: string, messageId: string): Promise<string | undefined> {
		return this.#room(roomId).sealed.get(messageId);
	}

	async roomFile(roomId: string, fileId: string): Promise<RoomFileInfo | undefined> {
		return this.#room(roomId).files.get(fileId);
	}

	/** Rooms archived by the tests (`archive`). */
	readonly archived = new Set<string>();

	async isArchived(roomId: string): Promise<boolean> {
		return this.archived.has(roomId);
	}

	/** The room's document as the log holds it (snapshot + log), for assertions. */
	async docOf(roomId: string): Promise<Y.Doc> {
		const doc = new Y.Doc();
		for (const update of (await this.load(roomId)).updates) Y.applyUpdate(doc, update);
		return doc;
	}
}
