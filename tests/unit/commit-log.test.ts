import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import {
	CommitLog,
	type CommitRequest,
	type DropReason,
	type Durable,
	type RoomCommitListener
} from '../../sync-server/commit-log';
import { MemoryRoomLog } from '../support/memory-room-log';

const log = pino({ level: 'silent' });

interface Item extends CommitRequest {
	readonly label: string;
}

function item(roomId: string, label: string, extra: Partial<Item> = {}): Item {
	return {
		roomId,
		epoch: 0,
		data: new TextEncoder().encode(label),
		clocks: new Map([[1, label.length]]),
		clientIds: [1],
		label,
		...extra
	};
}

/** A room's listener that records what it hears. */
class Recorder implements RoomCommitListener<Item> {
	readonly heard: string[] = [];
	readonly durableSeqs: number[] = [];
	#waiters: (() => void)[] = [];

	durable(entries: readonly Durable<Item>[]): void {
		for (const { item, stored } of entries) {
			this.heard.push(`durable ${item.label}`);
			this.durableSeqs.push(stored.seq);
		}
		this.#wake();
	}

	dropped(items: readonly Item[], reason: DropReason): void {
		for (const dropped of items) this.heard.push(`dropped ${dropped.label} ${reason}`);
		this.#wake();
	}

	claimed(item: Item, clientId: number, owner: string): void {
		this.heard.push(`claimed ${item.label}: ${clientId} is ${owner}'s`);
		this.#wake();
	}

	/** Resolves at the next thing heard. */
	next(): Promise<void> {
		return new Promise((resolve) => this.#waiters.push(resolve));
	}

	#wake(): void {
		for (const wake of this.#waiters.splice(0)) wake();
	}
}

let storage: MemoryRoomLog;
let commits: CommitLog<Item>;

beforeEach(() => {
	storage = new MemoryRoomLog();
	storage.createRoom('a');
	storage.createRoom('b');
	commits = new CommitLog<Item>({ writer: storage, log });
});

describe('commit log', () => {
	it('commits what every room submitted in one turn in one transaction, with gapless seqs per room', async () => {
		const a = new Recorder();
		const b = new Recorder();
		const toA = commits.attach(a);
		const toB = commits.attach(b);
		toA.submit(item('a', 'one'));
		toA.submit(item('a', 'two'));
		toB.submit(item('b', 'three'));
		expect(commits.pendingCount).toBe(3);
		expect(toA.pending).toBe(2);
		await a.next();

		expect(storage.commits).toBe(1);
		expect(a.durableSeqs).toEqual([1, 2]);
		expect(b.durableSeqs).toEqual([1]);
		expect(toA.pending).toBe(0);
		expect(commits.pendingCount).toBe(0);
	});

	it('tells a room nothing until its updates are durable, and the commit listeners before the rooms', async () => {
		const order: string[] = [];
		commits.onCommit((entries) => {
			order.push(`bus ${entries.map((e) => e.item.label).join(',')}`);
		});
		const room = new Recorder();
		commits.attach(room).submit(item('a', 'one'));
		expect(room.heard).toEqual([]);
		await room.next();
		order.push(...room.heard);
		expect(order).toEqual(['bus one', 'durable one']);
		expect((await storage.readSince('a', 0)).updates.map((u) => u.seq)).toEqual([1]);
	});

	it('keeps the batch while the storage fails, tells nothing, and commits it in order on a retry', async () => {
		storage.failNext = 1;
		const room = new Recorder();
		const channel = commits.attach(room);
		channel.submit(item('a', 'one'));
		channel.submit(item('a', 'two'));
		expect(await commits.flush()).toBe(false);
		expect(room.heard).toEqual([]);
		expect(channel.pending).toBe(2);
		channel.submit(item('a', 'three'));
		await room.next();

		expect(room.heard).toEqual(['durable one', 'durable two', 'durable three']);
		expect(room.durableSeqs).toEqual([1, 2, 3]);
		expect(storage.commits).toBe(2);
	});

	it('drops the updates of a head sealed since they were gated, and commits the rest', async () => {
		const stale = new Recorder();
		const fresh = new Recorder();
		commits.attach(stale).submit(item('a', 'old head', { epoch: 7 }));
		commits.attach(fresh).submit(item('b', 'fine'));
		await commits.flush();

		expect(stale.heard).toEqual(['dropped old head stale-epoch']);
		expect(fresh.heard).toEqual(['durable fine']);
		expect((await storage.readSince('a', 0)).updates).toEqual([]);
	});

	it('drops the updates of a deleted room and commits the other rooms’ on the next try', async () => {
		const gone = new Recorder();
		const other = new Recorder();
		commits.attach(gone).submit(item('a', 'lost'));
		commits.attach(other).submit(item('b', 'kept'));
		storage.deleteRoom('a');
		expect(await commits.flush()).toBe(false);
		expect(gone.heard).toEqual(['dropped lost room-deleted']);
		await other.next();
		expect(other.heard).toEqual(['durable kept']);
	});

	it('refuses an update whose clientID another user claimed meanwhile, in the same transaction', async () => {
		await storage.claim('a', 9, 'mallory');
		const room = new Recorder();
		const channel = commits.attach(room);
		channel.submit(item('a', 'mine', { userId: 'alice', claims: [9] }));
		channel.submit(item('a', 'fine', { userId: 'alice', claims: [10] }));
		await commits.flush();

		expect(room.heard).toEqual(['durable fine', "claimed mine: 9 is mallory's"]);
		expect(room.durableSeqs).toEqual([1]);
		expect((await storage.load('a')).owners.get(10)).toBe('alice');
	});

	it('raises the high-water marks in the commit’s transaction', async () => {
		const room = new Recorder();
		commits.attach(room).submit(item('a', 'hello', { clocks: new Map([[4, 12]]) }));
		await room.next();
		expect((await storage.load('a')).highWater.get(4)).toBe(12);
	});

	it('still commits what a closed channel submitted, but tells it nothing', async () => {
		const room = new Recorder();
		const channel = commits.attach(room);
		channel.submit(item('a', 'one'));
		channel.close();
		await commits.flush();
		expect(room.heard).toEqual([]);
		expect((await storage.readSince('a', 0)).updates).toHaveLength(1);
	});

	it('tells every listener even when one of them throws', async () => {
		commits.onCommit(() => {
			throw new Error('indexer down');
		});
		const room = new Recorder();
		commits.attach(room).submit(item('a', 'one'));
		await room.next();
		expect(room.heard).toEqual(['durable one']);
	});
});
