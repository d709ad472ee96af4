/** Rule 6 for one connection alone: the user's budget defers frames in order, bounded; step 1 pacing. */
import { describe, expect, it } from 'vitest';
import { Admission, MAX_DEFERRED_FRAMES } from '../../sync-server/admission';
import { UserBudgets } from '../../sync-server/user-budget';
import { waitFor } from '../support/wait';

function port() {
	const state = { handled: [] as number[], paused: false, overflowed: false, closed: false };
	return {
		state,
		port: {
			handle: (frame: Uint8Array) => void state.handled.push(frame[0] ?? -1),
			overflow: () => {
				state.overflowed = true;
				state.closed = true;
			},
			pause: () => void (state.paused = true),
			resume: () => void (state.paused = false),
			isClosed: () => state.closed
		}
	};
}

const unlimited = { admitUpdate: () => () => true };

describe('admission', () => {
	it('handles frames at once while the user is within budget', () => {
		const { state, port: p } = port();
		const admission = new Admission(unlimited, 'alice', p);
		admission.receive(Uint8Array.of(1));
		admission.receive(Uint8Array.of(2));
		expect(state.handled).toEqual([1, 2]);
		expect(state.paused).toBe(false);
	});

	it('defers frames while the user is over budget, stops reading, and handles them in order once paid', async () => {
		const budgets = new UserBudgets({ bytesPerSecond: 50_000, burstBytes: 1_000 });
		const { state, port: p } = port();
		const admission = new Admission({ ...unlimited, budgets }, 'alice', p);
		admission.charge(5_000);
		admission.receive(Uint8Array.of(1));
		admission.receive(Uint8Array.of(2));
		expect(state.handled).toEqual([]);
		expect(state.paused).toBe(true);
		await waitFor('deferred frames handled', () => state.handled.length === 2);
		expect(state.handled).toEqual([1, 2]);
		expect(state.paused).toBe(false);
		admission.release();
	});

	it('overflows (the connection closes) once too many frames wait', () => {
		const budgets = new UserBudgets({ bytesPerSecond: 1, burstBytes: 1 });
		const { state, port: p } = port();
		const admission = new Admission({ ...unlimited, budgets }, 'alice', p);
		admission.charge(1_000_000);
		for (let i = 0; i <= MAX_DEFERRED_FRAMES && !state.overflowed; i++) {
			admission.receive(Uint8Array.of(i % 256));
		}
		expect(state.overflowed).toBe(true);
		expect(state.handled).toEqual([]);
		admission.release();
	});

	it('answers one sync step 1 per interval', () => {
		const { port: p } = port();
		const admission = new Admission({ ...unlimited, step1MinIntervalMs: 60_000 }, 'alice', p);
		expect(admission.mayAnswerStep1()).toBe(true);
		admission.step1Answered();
		expect(admission.mayAnswerStep1()).toBe(false);
	});

	it('asks the update and awareness limits built for this connection', () => {
		let updates = 1;
		const { port: p } = port();
		const admission = new Admission(
			{ admitUpdate: () => () => updates-- > 0, admitAwareness: () => () => false },
			'alice',
			p
		);
		expect(admission.mayUpdate()).toBe(true);
		expect(admission.mayUpdate()).toBe(false);
		expect(admission.mayPublishAwareness()).toBe(false);
	});
});
