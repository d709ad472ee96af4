/**
 * Who is online across instances (sync-server/online-users.ts), with two and three instances
 * on one in-process bus hub: the same messages the Redis bus carries (its envelope round-trip
 * is in summary-feed.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus, InProcessBusHub } from '../../sync-server/bus';
import {
	OnlineUsers,
	ONLINE_EXPIRY_BEATS,
	type OnlineChange
} from '../../sync-server/online-users';

const BEAT_MS = 1_000;
const opened: OnlineUsers[] = [];

/** One instance: its registry on the hub, a clock the test moves, and what it reported. */
function instance(hub: InProcessBusHub) {
	const clock = { now: 0 };
	const users = new OnlineUsers({
		bus: new InProcessBus(hub),
		beatMs: BEAT_MS,
		now: () => clock.now
	});
	opened.push(users);
	const changes: OnlineChange[] = [];
	users.onChange((batch) => changes.push(...batch));
	return { users, clock, changes };
}

/** Lets the tick's batch go out (setImmediate) and the bus deliver it (microtasks). */
async function settle(): Promise<void> {
	for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => {
	for (const users of opened.splice(0)) users.close();
});

describe('OnlineUsers', () => {
	it('tells every instance when a user’s first socket opens and their last one closes, wherever', async () => {
		const hub = new InProcessBusHub();
		const a = instance(hub);
		const b = instance(hub);
		await settle();

		a.users.connected('alice');
		a.users.connected('alice');
		expect(a.changes).toEqual([{ userId: 'alice', online: true }]);
		await settle();
		expect(b.users.isOnline('alice')).toBe(true);
		expect(b.changes).toEqual([{ userId: 'alice', online: true }]);

		// A second tab on the other instance: nobody hears of it (she was online already).
		b.users.connected('alice');
		await settle();
		a.users.disconnected('alice');
		a.users.disconnected('alice');
		await settle();
		expect(a.users.isOnline('alice')).toBe(true);
		expect(b.changes).toEqual([{ userId: 'alice', online: true }]);
		expect(a.changes).toEqual([{ userId: 'alice', online: true }]);

		b.users.disconnected('alice');
		await settle();
		expect(a.users.isOnline('alice')).toBe(false);
		expect(b.users.isOnline('alice')).toBe(false);
		expect(a.changes.at(-1)).toEqual({ userId: 'alice', online: false });
		expect(b.changes.at(-1)).toEqual({ userId: 'alice', online: false });
	});

	it('a socket that opens and closes within one tick costs the others nothing', async () => {
		const hub = new InProcessBusHub();
		const a = instance(hub);
		const b = instance(hub);
		await settle();
		a.users.connected('bob');
		a.users.disconnected('bob');
		await settle();
		expect(b.changes).toEqual([]);
		expect(a.changes).toEqual([
			{ userId: 'bob', online: true },
			{ userId: 'bob', online: false }
		]);
	});

	it('a starting instance learns who is online elsewhere at once, by asking', async () => {
		const hub = new InProcessBusHub();
		const a = instance(hub);
		a.users.connected('carol');
		await settle();
		const late = instance(hub);
		await settle();
		expect(late.users.isOnline('carol')).toBe(true);
		expect(late.changes).toEqual([{ userId: 'carol', online: true }]);
	});

	it('a closing instance takes its users offline everywhere', async () => {
		const hub = new InProcessBusHub();
		const a = instance(hub);
		const b = instance(hub);
		a.users.connected('dave');
		await settle();
		expect(b.users.isOnline('dave')).toBe(true);
		a.users.close();
		await settle();
		expect(b.users.isOnline('dave')).toBe(false);
		expect(b.changes.at(-1)).toEqual({ userId: 'dave', online: false });
	});

	it('an instance that stops beating (killed, cut off) has its users expire', async () => {
		const hub = new InProcessBusHub();
		const a = instance(hub);
		const b = instance(hub);
		a.users.connected('erin');
		await settle();
		expect(b.users.isOnline('erin')).toBe(true);

		// An instance that told B of its user, then died without a word.
		b.users.heard({
			kind: 'online',
			instanceId: 'gone',
			full: true,
			ask: false,
			came: ['frank'],
			went: []
		});
		expect(b.users.isOnline('frank')).toBe(true);

		// A keeps beating, "gone" does not: after the expiry its users are offline.
		for (let beat = 1; beat <= ONLINE_EXPIRY_BEATS; beat++) {
			a.clock.now = b.clock.now = beat * BEAT_MS;
			a.users.beat();
			await settle();
			b.users.beat();
		}
		expect(b.users.isOnline('frank')).toBe(false);
		expect(b.changes).toContainEqual({ userId: 'frank', online: false });
		expect(b.users.isOnline('erin')).toBe(true);
	});

	it('a full list replaces what an instance said before (a beat after a lost departure)', async () => {
		const hub = new InProcessBusHub();
		const b = instance(hub);
		b.users.heard({
			kind: 'online',
			instanceId: 'x',
			full: false,
			ask: false,
			came: ['gina', 'hal'],
			went: []
		});
		b.users.heard({
			kind: 'online',
			instanceId: 'x',
			full: true,
			ask: false,
			came: ['hal'],
			went: []
		});
		expect(b.users.isOnline('gina')).toBe(false);
		expect(b.users.isOnline('hal')).toBe(true);
		expect(b.changes).toEqual([
			{ userId: 'gina', online: true },
			{ userId: 'hal', online: true },
			{ userId: 'gina', online: false }
		]);
	});
});
