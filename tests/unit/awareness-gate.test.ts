import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
	sanitizeAwarenessUpdate,
	type AwarenessConnection
} from '../../sync-server/awareness-gate';

const ALICE = 'alice00000000000000000001';
const BOB = 'bob0000000000000000000001';

function connection(userId = ALICE, username = 'alice'): AwarenessConnection {
	return { userId, username, claimedClientIds: new Set() };
}

/** A client's awareness with `state` set, and the update it would send for its own entry. */
function clientUpdate(state: Record<string, unknown> | null, clientID = 11): Uint8Array {
	const doc = new Y.Doc();
	doc.clientID = clientID;
	const awareness = new awarenessProtocol.Awareness(doc);
	awareness.setLocalState(state);
	return awarenessProtocol.encodeAwarenessUpdate(awareness, [clientID]);
}

/** What a server-side Awareness holds after applying `update`. */
function applied(update: Uint8Array | null): Map<number, unknown> {
	const server = new awarenessProtocol.Awareness(new Y.Doc());
	server.setLocalState(null);
	if (update) awarenessProtocol.applyAwarenessUpdate(server, update, 'test');
	return new Map([...server.getStates()].filter(([id]) => id !== server.clientID));
}

function rawUpdate(entries: { clientId: number; clock: number; json: string }[]): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const entry of entries) {
		encoding.writeVarUint(encoder, entry.clientId);
		encoding.writeVarUint(encoder, entry.clock);
		encoding.writeVarString(encoder, entry.json);
	}
	return encoding.toUint8Array(encoder);
}

describe('sanitizeAwarenessUpdate', () => {
	it('forces the user from the session and keeps a boolean typing flag', () => {
		const conn = connection();
		const own = clientUpdate({ user: { id: ALICE, name: 'the queen' }, typing: true }, 11);
		const states = applied(sanitizeAwarenessUpdate(own, conn, new Map()));
		expect(states.get(11)).toEqual({ user: { id: ALICE, name: 'alice' }, typing: true });
		expect([...conn.claimedClientIds]).toEqual([11]);
		const forged = clientUpdate({ user: { id: BOB, name: 'bob' }, typing: false }, 11);
		expect(applied(sanitizeAwarenessUpdate(forged, conn, new Map())).get(11)).toEqual({
			user: { id: ALICE, name: 'alice' },
			typing: false
		});
	});

	it('does not claim a clientID from a first entry naming another user (an echo)', () => {
		const conn = connection();
		const echo = clientUpdate({ user: { id: BOB, name: 'bob' } }, 12);
		expect(sanitizeAwarenessUpdate(echo, conn, new Map())).toBeNull();
		expect(conn.claimedClientIds.size).toBe(0);
	});

	it('drops unknown fields and a non-boolean typing flag', () => {
		const update = clientUpdate({ typing: 'yes', cursor: { x: 1 }, admin: true }, 12);
		const states = applied(sanitizeAwarenessUpdate(update, connection(), new Map()));
		expect(states.get(12)).toEqual({ user: { id: ALICE, name: 'alice' } });
	});

	it("drops entries for a clientID another user owns in the room's doc", () => {
		const update = clientUpdate({ typing: true }, 13);
		expect(sanitizeAwarenessUpdate(update, connection(), new Map([[13, BOB]]))).toBeNull();
		expect(
			applied(sanitizeAwarenessUpdate(update, connection(), new Map([[13, ALICE]]))).has(13)
		).toBe(true);
	});

	it('speaks only for the first clientID of the connection', () => {
		const conn = connection();
		expect(
			sanitizeAwarenessUpdate(clientUpdate({ typing: false }, 14), conn, new Map())
		).not.toBeNull();
		expect(sanitizeAwarenessUpdate(clientUpdate({ typing: true }, 15), conn, new Map())).toBeNull();
		expect(
			sanitizeAwarenessUpdate(clientUpdate({ typing: true }, 14), conn, new Map())
		).not.toBeNull();
	});

	it('drops a clientID another connection speaks for', () => {
		const update = clientUpdate({ typing: true }, 16);
		expect(sanitizeAwarenessUpdate(update, connection(), new Map(), (id) => id === 16)).toBeNull();
	});

	it('keeps the own entry of an update that also echoes other peers', () => {
		const conn = connection();
		conn.claimedClientIds.add(20);
		const update = rawUpdate([
			{ clientId: 21, clock: 3, json: JSON.stringify({ user: { id: BOB, name: 'bob' } }) },
			{ clientId: 20, clock: 4, json: JSON.stringify({ typing: true }) },
			{ clientId: 22, clock: 1, json: 'null' }
		]);
		const states = applied(sanitizeAwarenessUpdate(update, conn, new Map([[21, BOB]])));
		expect([...states.keys()]).toEqual([20]);
	});

	it('lets a connection remove its own state but no one else’s', () => {
		const conn = connection();
		conn.claimedClientIds.add(30);
		const own = sanitizeAwarenessUpdate(
			rawUpdate([{ clientId: 30, clock: 2, json: 'null' }]),
			conn,
			new Map()
		);
		expect(own).not.toBeNull();
		const other = rawUpdate([{ clientId: 31, clock: 2, json: 'null' }]);
		expect(sanitizeAwarenessUpdate(other, conn, new Map())).toBeNull();
		expect(sanitizeAwarenessUpdate(other, connection(), new Map())).toBeNull();
	});

	it('drops states that are not JSON objects', () => {
		const update = rawUpdate([
			{ clientId: 40, clock: 1, json: '{not json' },
			{ clientId: 40, clock: 1, json: '[1,2]' },
			{ clientId: 40, clock: 1, json: '"hi"' }
		]);
		expect(sanitizeAwarenessUpdate(update, connection(), new Map())).toBeNull();
	});

	it('returns null for malformed bytes without throwing', () => {
		const good = clientUpdate({ typing: true }, 50);
		for (let end = 0; end < good.length; end++) {
			expect(sanitizeAwarenessUpdate(good.subarray(0, end), connection(), new Map())).toBeNull();
		}
		expect(
			sanitizeAwarenessUpdate(new Uint8Array([255, 255, 255, 255, 15]), connection(), new Map())
		).toBeNull();
	});
});
