/** A room's position in its log alone: its own commits, the bus in seq order, catch-up reads. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LogPosition } from '../../sync-server/log-position';
import { MemoryRoomLog } from '../support/memory-room-log';

const log = pino({ level: 'silent' });
const bytes = (n: number): Uint8Array => Uint8Array.of(n);

async function setup(committed: number[]) {
	const storage = new MemoryRoomLog();
	storage.createRoom('r');
	await storage.commit(committed.map((n) => ({ roomId: 'r', epoch: 0, data: bytes(n) })));
	const applied: string[] = [];
	let epochChanged = 0;
	const position = new LogPosition({
		roomId: 'r',
		epoch: 0,
		loadedSeq: 0,
		roomLog: storage,
		apply: (data, origin) => void applied.push(`${origin} ${data[0]}`),
		epochChanged: () => void epochChanged++,
		gone: () => epochChanged > 0,
		log
	});
	return { storage, position, applied, epochChanged: () => epochChanged };
}

describe('log position', () => {
	it('moves with this instance’s commits and says when one skipped others’ unseen', async () => {
		const { position } = await setup([]);
		expect(position.committed(1)).toBe(true);
		expect(position.lastSeq).toBe(1);
		expect(position.committed(3)).toBe(false);
		expect(position.lastSeq).toBe(1);
	});

	it('applies the bus in seq order and skips what the doc has', async () => {
		const { position, applied } = await setup([]);
		expect(position.fromBus(1, bytes(1))).toBe(true);
		expect(position.fromBus(1, bytes(1))).toBe(false);
		expect(applied).toEqual(['bus 1']);
		expect(position.lastSeq).toBe(1);
	});

	it('fills a gap on the bus from the log, once, each entry in order', async () => {
		const { position, applied } = await setup([1, 2, 3]);
		expect(position.fromBus(3, bytes(3))).toBe(false);
		await position.catchUp();
		expect(applied).toEqual(['store 1', 'store 2', 'store 3']);
		expect(position.lastSeq).toBe(3);
		expect(position.fromBus(3, bytes(3))).toBe(false);
	});

	it('tries a failed read of the log again until it succeeds (nothing else may show the gap again)', async () => {
		const storage = new MemoryRoomLog();
		storage.createRoom('r');
		await storage.commit([1, 2].map((n) => ({ roomId: 'r', epoch: 0, data: bytes(n) })));
		let failures = 2;
		const applied: number[] = [];
		const position = new LogPosition({
			roomId: 'r',
			epoch: 0,
			loadedSeq: 0,
			roomLog: {
				readSince: (roomId, seq) =>
					failures-- > 0
						? Promise.reject(new Error('the database is away'))
						: storage.readSince(roomId, seq)
			},
			apply: (data) => void applied.push(data[0]!),
			epochChanged: () => {},
			gone: () => false,
			retryFirstMs: 5,
			log
		});
		expect(position.fromBus(2, bytes(2))).toBe(false);
		await position.catchUp();
		expect(applied).toEqual([]);
		await expect.poll(() => position.lastSeq).toBe(2);
		expect(applied).toEqual([1, 2]);
		expect(failures).toBe(-1);
	});

	it('applies nothing of a log that belongs to a newer epoch, and says the head is over', async () => {
		const { storage, position, applied, epochChanged } = await setup([1]);
		await storage.seal(
			'r',
			{ epoch: 0, lastSeq: 1 },
			{
				segments: [],
				messageIds: [],
				stateVector: new Uint8Array(),
				head: bytes(9)
			}
		);
		await position.catchUp();
		expect(applied).toEqual([]);
		expect(epochChanged()).toBe(1);
	});
});
