/** A room's lifecycle and its sealer alone (the store is a recording fake of `seal`). */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Seal } from '../../sync-server/seal';
import { RoomLifecycle, Sealer } from '../../sync-server/sealing';

const log = pino({ level: 'silent' });

function docWith(messages: number): Y.Doc {
	const doc = new Y.Doc();
	const list = doc.getArray('messages');
	for (let i = 0; i < messages; i++)
		list.push([{ id: `m${i}`, author: 'alice', text: `${i}`, ts: i }]);
	return doc;
}

function sealer(options: {
	result?: number | null | Error;
	sealedAtMs?: number;
	nowMs?: number;
	minIntervalMs?: number;
}) {
	const calls: { roomId: string; expected: { epoch: number; lastSeq: number }; seal: Seal }[] = [];
	const unit = new Sealer({
		roomId: 'r',
		roomLog: {
			async seal(roomId: string, expected: { epoch: number; lastSeq: number }, seal: Seal) {
				calls.push({ roomId, expected, seal });
				if (options.result instanceof Error) throw options.result;
				return options.result === undefined ? 1 : options.result;
			}
		},
		config: { SEAL_AFTER_MESSAGES: 3, SEAL_MIN_INTERVAL_MS: options.minIntervalMs },
		nowMs: () => options.nowMs ?? 0,
		sealedAtMs: options.sealedAtMs,
		log
	});
	return { unit, calls };
}

describe('room lifecycle', () => {
	it('goes loading -> live -> sealing -> live or gone, and never back from gone', async () => {
		const life = new RoomLifecycle();
		expect(life.phase).toBe('loading');
		expect(life.beginSeal()).toBe(false);
		life.loaded();
		expect(life.phase).toBe('live');
		expect(life.beginSeal()).toBe(true);
		expect(life.phase).toBe('sealing');
		expect(life.beginSeal()).toBe(false);
		life.sealAbandoned();
		expect(life.phase).toBe('live');
		expect(life.leave()).toBe(true);
		expect(life.gone).toBe(true);
		expect(life.leave()).toBe(false);
		life.loaded();
		expect(life.phase).toBe('gone');
	});
});

describe('sealer', () => {
	it('is due once the head holds SEAL_AFTER_MESSAGES messages and the last seal is old enough', async () => {
		expect(sealer({}).unit.due(docWith(2))).toBe(false);
		expect(sealer({}).unit.due(docWith(3))).toBe(true);
		const recent = { sealedAtMs: 1_000, nowMs: 1_500, minIntervalMs: 1_000 };
		expect(sealer(recent).unit.due(docWith(3))).toBe(false);
		expect(sealer({ ...recent, nowMs: 2_000 }).unit.due(docWith(3))).toBe(true);
	});

	it('writes the seal with the epoch and last seq the doc was built from', async () => {
		const { unit, calls } = sealer({ result: 4 });
		const attempt = await unit.seal(docWith(3), { epoch: 3, lastSeq: 17 });
		expect(attempt.outcome).toBe('sealed');
		if (attempt.outcome === 'sealed') expect(attempt.epoch).toBe(4);
		expect(calls.map((call) => call.expected)).toEqual([{ epoch: 3, lastSeq: 17 }]);
		expect(calls[0]?.seal.messageCount).toBe(3);
	});

	it('says the store moved on when it refuses the expected epoch or seq', async () => {
		expect(await sealer({ result: null }).unit.seal(docWith(3), { epoch: 0, lastSeq: 1 })).toEqual({
			outcome: 'behind'
		});
	});

	it('says the write failed, without throwing, when the store throws', async () => {
		expect(
			await sealer({ result: new Error('disk full') }).unit.seal(docWith(3), {
				epoch: 0,
				lastSeq: 1
			})
		).toEqual({
			outcome: 'failed'
		});
	});
});
