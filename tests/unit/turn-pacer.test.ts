import { describe, expect, it } from 'vitest';
import { TurnPacer } from '../../sync-server/turn-pacer';

/** Resolves after the event loop's next check phase (the turn the pacer's setImmediate runs in). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnPacer', () => {
	it('sends nothing at once, then in order, at most a turn’s budget of cost per turn', async () => {
		const errors: unknown[] = [];
		const pacer = new TurnPacer({ budgetPerTurn: 100, onError: (error) => errors.push(error) });
		const sent: number[] = [];
		for (let i = 1; i <= 5; i++) pacer.enqueue(() => sent.push(i), 60);
		expect(sent).toEqual([]);
		expect(pacer.waiting).toBe(5);
		await nextTurn();
		expect(sent).toEqual([1, 2]);
		await nextTurn();
		expect(sent).toEqual([1, 2, 3, 4]);
		await nextTurn();
		expect(sent).toEqual([1, 2, 3, 4, 5]);
		expect(pacer.waiting).toBe(0);
		expect(errors).toEqual([]);
	});

	it('lets work queued meanwhile (a group commit’s setImmediate) run between two turns', async () => {
		const pacer = new TurnPacer({ budgetPerTurn: 100, onError: () => undefined });
		const order: string[] = [];
		pacer.enqueue(() => {
			order.push('answer 1');
			setImmediate(() => order.push('commit'));
		}, 100);
		pacer.enqueue(() => order.push('answer 2'), 100);
		await nextTurn();
		await nextTurn();
		expect(order).toEqual(['answer 1', 'commit', 'answer 2']);
	});

	it('reports a job that throws and still runs the others', async () => {
		const errors: unknown[] = [];
		const pacer = new TurnPacer({ budgetPerTurn: 1_000, onError: (error) => errors.push(error) });
		const sent: string[] = [];
		pacer.enqueue(() => {
			throw new Error('socket gone');
		}, 10);
		pacer.enqueue(() => sent.push('next'), 10);
		await nextTurn();
		expect(sent).toEqual(['next']);
		expect(errors).toEqual([new Error('socket gone')]);
	});

	it('tells how many jobs wait after each enqueue and each turn', async () => {
		const waiting: number[] = [];
		const pacer = new TurnPacer({
			budgetPerTurn: 2,
			onError: () => undefined,
			onWaiting: (n) => waiting.push(n)
		});
		for (let i = 0; i < 3; i++) pacer.enqueue(() => undefined, 1);
		expect(waiting).toEqual([1, 2, 3]);
		await nextTurn();
		expect(waiting).toEqual([1, 2, 3, 1]);
		await nextTurn();
		expect(waiting).toEqual([1, 2, 3, 1, 0]);
	});
});
