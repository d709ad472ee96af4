import { describe, expect, it } from 'vitest';
import { UserBudgets } from '../../sync-server/user-budget';

function clock(): { now: () => number; advance: (ms: number) => void } {
	let t = 1_000;
	return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('UserBudgets', () => {
	it('draws every socket of a user from one budget and leaves other users’ alone', () => {
		const time = clock();
		const budgets = new UserBudgets({ bytesPerSecond: 1_000, burstBytes: 5_000, nowMs: time.now });
		const first = budgets.acquire('mallory');
		const second = budgets.acquire('mallory');
		const other = budgets.acquire('alice');
		first.charge(3_000);
		expect(second.overdrawn).toBe(false);
		second.charge(3_000);
		expect(first.overdrawn).toBe(true);
		expect(second.msUntilPaid()).toBe(1_000);
		expect(other.overdrawn).toBe(false);
		time.advance(1_000);
		expect(first.overdrawn).toBe(false);
	});

	it('keeps a debt when the user closes every socket and reopens one', () => {
		const time = clock();
		const budgets = new UserBudgets({ bytesPerSecond: 1_000, burstBytes: 5_000, nowMs: time.now });
		const socket = budgets.acquire('mallory');
		socket.charge(8_000);
		socket.release();
		expect(budgets.size).toBe(1);
		const again = budgets.acquire('mallory');
		expect(again.overdrawn).toBe(true);
		expect(again.msUntilPaid()).toBe(3_000);
	});

	it('forgets a user with no socket once their budget is full again', () => {
		const time = clock();
		const budgets = new UserBudgets({ bytesPerSecond: 1_000, burstBytes: 5_000, nowMs: time.now });
		budgets.acquire('alice').release();
		expect(budgets.size).toBe(0);
		const twice = budgets.acquire('bob');
		const other = budgets.acquire('bob');
		twice.release();
		twice.release();
		expect(budgets.size).toBe(1);
		other.release();
		expect(budgets.size).toBe(0);
	});
});
