import { describe, expect, it } from 'vitest';
import {
	DeferredRegistration,
	HOLD_MAX_MS,
	type RegistrationHooks
} from '../../src/lib/client/sw-update.svelte';

/** Hooks whose load, idle periods and timers the test fires by hand. */
function manualHooks(): RegistrationHooks & {
	load(): void;
	goIdle(): void;
	elapse(ms: number): void;
	waits: number[];
} {
	let fireLoad: () => void = () => undefined;
	const loaded = new Promise<void>((resolve) => (fireLoad = resolve));
	const idlers: Array<() => void> = [];
	const timers: Array<{ ms: number; resolve: () => void }> = [];
	return {
		waits: [],
		loaded: () => loaded,
		idle: () => new Promise((resolve) => idlers.push(resolve)),
		wait(ms) {
			this.waits.push(ms);
			return new Promise((resolve) => timers.push({ ms, resolve }));
		},
		load: () => fireLoad(),
		goIdle: () => idlers.splice(0).forEach((resolve) => resolve()),
		elapse: (ms) => timers.filter((timer) => timer.ms <= ms).forEach((timer) => timer.resolve())
	};
}

/** Lets every settled promise's callbacks run. */
const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function watch(promise: Promise<void>): { done: boolean } {
	const state = { done: false };
	void promise.then(() => (state.done = true));
	return state;
}

describe('the service worker registration', () => {
	it('waits for load, then an idle period, when no page holds it', async () => {
		const hooks = manualHooks();
		const settled = watch(new DeferredRegistration().settled(hooks));
		await flush();
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(false);
		hooks.load();
		await flush();
		expect(settled.done).toBe(false);
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(true);
		expect(hooks.waits).toEqual([]);
	});

	it('waits until every hold is released, each counted once', async () => {
		const hooks = manualHooks();
		const registration = new DeferredRegistration();
		const first = registration.hold();
		const second = registration.hold();
		const settled = watch(registration.settled(hooks));
		hooks.load();
		await flush();
		first();
		first();
		await flush();
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(false);
		second();
		await flush();
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(true);
	});

	it('goes after HOLD_MAX_MS when a hold is never released', async () => {
		const hooks = manualHooks();
		const registration = new DeferredRegistration();
		registration.hold();
		const settled = watch(registration.settled(hooks));
		hooks.load();
		await flush();
		expect(hooks.waits).toEqual([HOLD_MAX_MS]);
		hooks.elapse(HOLD_MAX_MS - 1);
		await flush();
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(false);
		hooks.elapse(HOLD_MAX_MS);
		await flush();
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(true);
	});

	it('is not held by a hold released before load', async () => {
		const hooks = manualHooks();
		const registration = new DeferredRegistration();
		registration.hold()();
		const settled = watch(registration.settled(hooks));
		hooks.load();
		await flush();
		hooks.goIdle();
		await flush();
		expect(settled.done).toBe(true);
		expect(hooks.waits).toEqual([]);
	});
});
