/**
 * A room's awareness alone: who speaks for which clientID (one place), the policy, rule 6's
 * pacing, what leaves through onChange (and what came from the bus), and meta pruning.
 */
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { sanitizeAwarenessUpdate } from '../../sync-server/awareness-gate';
import { RoomAwareness } from '../../sync-server/room-awareness';

/** y-protocols' awareness encoding: count, then per entry clientID, clock, JSON state. */
function stateUpdate(clientId: number, clock: number, state: unknown): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, 1);
	encoding.writeVarUint(encoder, clientId);
	encoding.writeVarUint(encoder, clock);
	encoding.writeVarString(encoder, JSON.stringify(state));
	return encoding.toUint8Array(encoder);
}

interface Conn {
	readonly name: string;
}
const alice: Conn = { name: 'alice' };
const bob: Conn = { name: 'bob' };
const aliceUser = { userId: 'alice', username: 'alice' };
const bobUser = { userId: 'bob', username: 'bob' };
const always = (): boolean => true;

const made: RoomAwareness<Conn>[] = [];
function make(): {
	room: RoomAwareness<Conn>;
	changes: { from: string | null; fromBus: boolean }[];
} {
	const changes: { from: string | null; fromBus: boolean }[] = [];
	const room = new RoomAwareness<Conn>(
		new Y.Doc(),
		sanitizeAwarenessUpdate,
		(_update, from, fromBus) => changes.push({ from: from?.name ?? null, fromBus })
	);
	made.push(room);
	return { room, changes };
}

afterEach(() => {
	for (const room of made.splice(0)) room.destroy();
});

describe('room awareness', () => {
	it('applies a connection’s own state with its session’s user and tells who it came from', () => {
		const { room, changes } = make();
		const outcome = room.accept(
			alice,
			aliceUser,
			new Map(),
			stateUpdate(5, 1, { typing: true }),
			always
		);
		expect(outcome.kind).toBe('applied');
		expect(room.awareness.getStates().get(5)).toEqual({
			user: { id: 'alice', name: 'alice' },
			typing: true
		});
		expect([...room.idsOf(alice)]).toEqual([5]);
		expect(changes).toEqual([{ from: 'alice', fromBus: false }]);
	});

	it('never lets a second connection speak for a clientID another connection holds, until it leaves', () => {
		const { room } = make();
		room.accept(alice, aliceUser, new Map(), stateUpdate(5, 1, {}), always);
		expect(room.accept(bob, bobUser, new Map(), stateUpdate(5, 2, {}), always).kind).toBe(
			'dropped'
		);
		expect(room.idsOf(bob).size).toBe(0);
		room.release(alice);
		expect(room.awareness.getStates().has(5)).toBe(false);
		expect(room.accept(bob, bobUser, new Map(), stateUpdate(5, 3, {}), always).kind).toBe(
			'applied'
		);
		expect(room.awareness.getStates().get(5)).toEqual({ user: { id: 'bob', name: 'bob' } });
	});

	it('refuses a state over the rate limit and records no claim for it', () => {
		const { room, changes } = make();
		const outcome = room.accept(alice, aliceUser, new Map(), stateUpdate(5, 1, {}), () => false);
		expect(outcome.kind).toBe('rate-limited');
		expect(room.idsOf(alice).size).toBe(0);
		expect(room.awareness.getStates().has(5)).toBe(false);
		expect(changes).toEqual([]);
	});

	it('applies what the bus brought and marks it so it is not published again', () => {
		const { room, changes } = make();
		room.applyFromBus(stateUpdate(9, 1, { user: { id: 'carol', name: 'carol' } }));
		expect(room.awareness.getStates().get(9)).toEqual({ user: { id: 'carol', name: 'carol' } });
		expect(changes).toEqual([{ from: null, fromBus: true }]);
	});

	it('forgets removed clientIDs entirely, so a socket cycling them keeps memory flat', () => {
		const { room } = make();
		for (let id = 1_000; id < 1_300; id++) {
			room.accept(alice, aliceUser, new Map(), stateUpdate(id, 1, {}), always);
			room.accept(alice, aliceUser, new Map(), stateUpdate(id, 2, null), always);
		}
		expect(room.awareness.getStates().size).toBe(0);
		expect(room.awareness.meta.size).toBeLessThanOrEqual(1);
		expect(room.frame()).toBeNull();
	});
});
