import * as encoding from 'lib0/encoding';
import pino from 'pino';
import * as awarenessProtocol from 'y-protocols/awareness';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { sqliteRoomLog } from '../../src/lib/server/storage/sqlite/room-log';
import { sanitizeAwarenessUpdate } from '../../sync-server/awareness-gate';
import { InProcessBus, InProcessBusHub } from '../../sync-server/bus';
import { CloseCode } from '../../src/lib/protocol/wire';
import { createMetrics, type Metrics } from '../../sync-server/metrics';
import {
	decodeMessage,
	encodeAwareness,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeUpdate,
	type Message
} from '../../sync-server/protocol';
import type {
	AwarenessPolicy,
	Connection,
	Room,
	RoomConfig,
	UpdateAdmission
} from '../../sync-server/room';
import type { RoomLogPort } from '../../sync-server/room-log';
import { RoomHub } from '../../sync-server/rooms';
import { PACE_ABOVE_BYTES } from '../../sync-server/turn-pacer';
import { buildSeal } from '../../sync-server/seal';
import type { Bus, SyncSocket } from '../../sync-server/types';
import {
	CONNECTION_COST_BYTES,
	MESSAGE_COST_BYTES,
	UserBudgets
} from '../../sync-server/user-budget';
import { messageTexts, messageUpdate } from '../support/messages';
import { createRoomIn, openTempDatabase, type TempDatabase } from '../support/temp-db';

const log = pino({ level: 'silent' });
const config = { MAX_MESSAGE_CHARS: 4000, COMPACT_AFTER_UPDATES: 500, ROOM_IDLE_UNLOAD_MS: 60_000 };

class FakeSocket implements SyncSocket {
	readonly received: Message[] = [];
	closed: { code: number; reason: string } | null = null;
	bufferedAmount = 0;
	/** Whether the room asked to stop reading this socket (its user over budget). */
	paused = false;
	/** Runs at the moment a frame is sent, before the test sees it. */
	onSend: ((message: Message) => void) | null = null;

	send(data: Uint8Array): void {
		const message = decodeMessage(data);
		this.onSend?.(message);
		this.received.push(message);
	}

	close(code: number, reason: string): void {
		this.closed = { code, reason };
	}

	pause(): void {
		this.paused = true;
	}

	resume(): void {
		this.paused = false;
	}

	updates(): Uint8Array[] {
		return this.received.flatMap((m) =>
			m.type === 'update' || m.type === 'sync-step2' ? [m.update] : []
		);
	}

	/** Resolves when this socket is next sent a message of `type`. */
	next(type: Message['type']): Promise<void> {
		return new Promise((resolve) => {
			const before = this.onSend;
			this.onSend = (message) => {
				before?.(message);
				if (message.type !== type) return;
				this.onSend = before;
				resolve();
			};
		});
	}

	of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
		return this.received.filter((m): m is Extract<Message, { type: T }> => m.type === type);
	}
}

/** A client: its own Y.Doc, a fake socket, the server-side connection. */
class FakeClient {
	readonly doc = new Y.Doc();

	private constructor(
		readonly socket: FakeSocket,
		readonly connection: Connection,
		readonly userId: string
	) {}

	/** Connects a new client (the room loads first if it must). */
	static async open(
		hub: RoomHub,
		roomId: string,
		userId: string,
		epoch?: number
	): Promise<FakeClient> {
		const socket = new FakeSocket();
		const connection = await hub.connect(roomId, socket, { userId, username: userId }, epoch);
		return new FakeClient(socket, connection, userId);
	}

	/** Makes a local change and sends its update; returns the update. */
	sendChange(change: (doc: Y.Doc) => void): Uint8Array {
		const before = Y.encodeStateVector(this.doc);
		change(this.doc);
		const update = Y.encodeStateAsUpdate(this.doc, before);
		this.connection.receive(encodeUpdate(update));
		return update;
	}

	/** Writes a message locally and sends the resulting update; returns the update. */
	sendMessage(text: string, author = this.userId): Uint8Array {
		const before = Y.encodeStateVector(this.doc);
		this.doc.getArray('messages').push([{ id: crypto.randomUUID(), author, text, ts: Date.now() }]);
		const update = Y.encodeStateAsUpdate(this.doc, before);
		this.connection.receive(encodeUpdate(update));
		return update;
	}

	/** The texts of the messages this client received from the server. */
	receivedTexts(): string[] {
		const doc = new Y.Doc();
		for (const update of this.socket.updates()) Y.applyUpdate(doc, update);
		return doc
			.getArray<{ text: string }>('messages')
			.toArray()
			.map((m) => m.text);
	}
}

/** Polls `predicate` (for state changes that emit no event, e.g. a timer firing) until a deadline. */
function until(predicate: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	return new Promise((resolve, reject) => {
		const poll = (): void => {
			if (predicate()) return resolve();
			if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
			setTimeout(poll, 5);
		};
		poll();
	});
}

/** The hub's loaded room (the test's room id). */
function roomOf(hub: RoomHub): Room {
	const room = hub.rooms.get(roomId);
	if (!room) throw new Error(`room ${roomId} is not loaded`);
	return room;
}

/** One event-loop turn: the group commit (setImmediate) scheduled before this runs first. */
function nextTurn(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

let temp: TempDatabase;
let db: Db;
let roomId: string;
const open: { close(): void }[] = [];

function makeHub(
	options: {
		bus?: Bus;
		roomLog?: RoomLogPort;
		metrics?: Metrics;
		admitUpdate?: UpdateAdmission;
		awarenessPolicy?: AwarenessPolicy;
		config?: Partial<RoomConfig>;
		nowMs?: () => number;
		budgets?: UserBudgets;
	} = {}
): RoomHub {
	const hub = new RoomHub({
		roomLog: options.roomLog ?? temp.storage.roomLog,
		bus: options.bus ?? new InProcessBus(),
		config: { ...config, ...options.config },
		log,
		metrics: options.metrics,
		admitUpdate: options.admitUpdate,
		awarenessPolicy: options.awarenessPolicy,
		nowMs: options.nowMs,
		budgets: options.budgets
	});
	// Shut down before the databases close: it stops awareness timers and snapshots rooms.
	open.unshift({ close: () => void hub.shutdown() });
	return hub;
}

function openSecondConnection(): Db {
	const second = openDatabase(temp.file);
	open.push(second);
	return second;
}

beforeEach(async () => {
	temp = openTempDatabase('parley-room-', ['alice', 'bob', 'carol']);
	db = temp.db;
	roomId = await createRoomIn(db, 'alice', 'room');
});

afterEach(() => {
	for (const item of open.splice(0)) item.close();
	temp.dispose();
});

describe('room hub', () => {
	it('commits an update to SQLite before any other socket receives it', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		// Another connection to the file, like another process: it sees only committed data.
		const observer = openSecondConnection().prepare<[string], { data: Buffer }>(
			'SELECT data FROM room_updates WHERE room_id = ?'
		);
		const committedWhenBobGotIt: boolean[] = [];
		bob.socket.onSend = (message) => {
			if (message.type !== 'update') return;
			const stored = observer.all(roomId).map((row) => row.data);
			committedWhenBobGotIt.push(stored.some((data) => data.equals(message.update)));
		};

		alice.sendMessage('hello');
		expect(bob.socket.updates()).toHaveLength(0);
		await nextTurn();

		expect(bob.receivedTexts()).toEqual(['hello']);
		expect(committedWhenBobGotIt).toEqual([true]);
		expect(alice.socket.updates()).toHaveLength(0);
	});

	it('appends every update accepted in one turn, across rooms, in one batch with gapless seqs', async () => {
		const otherRoom = await createRoomIn(db, 'alice', 'other');
		const metrics = createMetrics();
		const hub = makeHub({ metrics });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const aliceElsewhere = await FakeClient.open(hub, otherRoom, 'alice');
		alice.sendMessage('one');
		alice.sendMessage('two');
		aliceElsewhere.sendMessage('three');
		expect(hub.pendingCount).toBe(3);
		await nextTurn();
		expect(hub.pendingCount).toBe(0);
		const store = temp.storage.roomLog;
		expect((await store.readSince(roomId, 0)).updates.map((u) => u.seq)).toEqual([1, 2]);
		expect((await store.readSince(otherRoom, 0)).updates.map((u) => u.seq)).toEqual([1]);
		expect(hub.rooms.get(roomId)?.lastSeq).toBe(2);
		expect((await metrics.updatesAccepted.get()).values[0]?.value).toBe(3);
		expect(
			(await metrics.storeCommitSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'))
				?.value
		).toBe(1);
	});

	it('refuses a forged author: nothing stored or forwarded, the sender gets the reason', async () => {
		const metrics = createMetrics();
		const hub = makeHub({ metrics });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		alice.sendMessage('I am bob', 'bob');
		await nextTurn();

		expect(alice.socket.of('permission-denied')).toHaveLength(1);
		expect(alice.socket.of('permission-denied')[0]?.reason).toMatch(/author/);
		expect(bob.socket.updates()).toHaveLength(0);
		expect(await temp.storage.roomLog.load(roomId)).toMatchObject({
			updates: [],
			seq: 0,
			epoch: 0
		});
		expect(hub.rooms.get(roomId)?.doc.getArray('messages').length).toBe(0);
		expect(alice.socket.closed).toBeNull();
		const refused = await metrics.updatesRefused.get();
		expect(refused.values).toEqual([{ labels: { rule: 'rule2' }, value: 1 }]);
		expect((await metrics.updatesAccepted.get()).values[0]?.value ?? 0).toBe(0);
	});

	it('closes a connection with 4403 after three refusals', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		for (let i = 0; i < 3; i++) {
			// A fresh doc each time: every forgery is new to the server.
			const doc = new Y.Doc();
			doc
				.getArray('messages')
				.push([{ id: crypto.randomUUID(), author: 'bob', text: 'x', ts: Date.now() }]);
			alice.connection.receive(encodeUpdate(Y.encodeStateAsUpdate(doc)));
		}
		expect(alice.socket.of('permission-denied')).toHaveLength(3);
		expect(alice.socket.closed?.code).toBe(CloseCode.FORBIDDEN);
	});

	it('refuses updates over the connection’s rate and closes a flood with 4429', async () => {
		// Two updates per connection, then none: what an empty token bucket answers.
		const hub = makeHub({
			admitUpdate: () => {
				let tokens = 2;
				return () => tokens-- > 0;
			}
		});
		const alice = await FakeClient.open(hub, roomId, 'alice');
		for (let i = 0; i < 5; i++) alice.sendMessage(`m${i}`);
		await nextTurn();
		expect((await temp.storage.roomLog.load(roomId)).seq).toBe(2);
		expect(alice.socket.of('permission-denied').map((m) => m.reason)).toEqual([
			'rule 6: too many updates per second',
			'rule 6: too many updates per second',
			'rule 6: too many updates per second'
		]);
		expect(alice.socket.closed?.code).toBe(CloseCode.RATE_LIMITED);
	});

	it('sends the room’s state vector on connect and a STORED receipt for the sender’s clientID after commit', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		expect(alice.socket.of('stored')[0]?.stateVector).toEqual(new Map());
		alice.sendMessage('a');
		alice.sendMessage('b');
		expect(alice.socket.of('stored')).toHaveLength(1);
		await nextTurn();

		const receipts = alice.socket.of('stored');
		expect(receipts).toHaveLength(2);
		const clock = Y.getState(alice.doc.store, alice.doc.clientID);
		expect(receipts[1]?.stateVector).toEqual(new Map([[alice.doc.clientID, clock]]));

		const carol = await FakeClient.open(hub, roomId, 'carol');
		expect(carol.socket.of('stored')[0]?.stateVector).toEqual(
			new Map([[alice.doc.clientID, clock]])
		);
	});

	it('opens a new socket with step 1 and STORED for the room’s current state vector (encoded once per change)', async () => {
		const hub = makeHub();
		const first = await FakeClient.open(hub, roomId, 'carol');
		expect(first.socket.received.map((m) => m.type)).toEqual(['sync-step1', 'stored']);
		expect(first.socket.of('sync-step1')[0]?.stateVector).toEqual(Y.encodeStateVector(new Map()));

		const alice = await FakeClient.open(hub, roomId, 'alice');
		alice.sendMessage('changes the state vector');
		await nextTurn();
		const vector = Y.encodeStateVector(alice.doc);
		for (const userId of ['bob', 'dave']) {
			const next = await FakeClient.open(hub, roomId, userId);
			expect(next.socket.received.map((m) => m.type)).toEqual(['sync-step1', 'stored']);
			expect(next.socket.of('sync-step1')[0]?.stateVector).toEqual(vector);
			expect(next.socket.of('stored')[0]?.stateVector).toEqual(Y.decodeStateVector(vector));
		}
	});

	it('defers a newcomer’s initial sync and step-1 replies until pending updates commit', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		alice.sendMessage('not yet committed');
		const carol = await FakeClient.open(hub, roomId, 'carol');
		carol.connection.receive(encodeSyncStep1(carol.doc));
		expect(carol.socket.received).toEqual([]);
		await nextTurn();

		expect(carol.socket.of('sync-step1')).toHaveLength(2);
		expect(carol.socket.of('stored')).toHaveLength(1);
		expect(carol.receivedTexts()).toEqual(['not yet committed']);
	});

	it('answers sync step 1 with step 2 and its own step 1', async () => {
		const hub = makeHub();
		const bob = await FakeClient.open(hub, roomId, 'bob');
		bob.socket.received.length = 0;
		bob.connection.receive(encodeSyncStep1(bob.doc));
		expect(bob.socket.received.map((m) => m.type)).toEqual(['sync-step2', 'sync-step1']);
	});

	it('answers a fresh client of a room over PACE_ABOVE_BYTES in a later turn, whole (turn-pacer.ts)', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const texts = Array.from({ length: 40 }, (_, i) => `big ${i} ${'x'.repeat(2_000)}`);
		for (const text of texts) alice.sendMessage(text);
		await nextTurn();
		expect(roomOf(hub).fullStateStep2().byteLength).toBeGreaterThan(PACE_ABOVE_BYTES);
		const bob = await FakeClient.open(hub, roomId, 'bob');
		bob.socket.received.length = 0;
		bob.connection.receive(encodeSyncStep1(bob.doc));
		// Not in the turn that asked: what was queued before (a group commit) goes first.
		expect(bob.socket.received).toEqual([]);
		await nextTurn();
		expect(bob.socket.received.map((m) => m.type)).toEqual(['sync-step2', 'sync-step1']);
		expect(bob.receivedTexts()).toEqual(texts);
	});

	it('answers a later step 1 on a socket with only what it was not sent, and refuses one sooner than SYNC_STEP1_MIN_INTERVAL_MS', async () => {
		const hub = makeHub({ config: { SYNC_STEP1_MIN_INTERVAL_MS: 0 } });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		for (let i = 0; i < 20; i++) alice.sendMessage(`history ${i} ${'x'.repeat(200)}`);
		await nextTurn();
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const step2Bytes = (): number[] =>
			bob.socket.of('sync-step2').map((message) => message.update.byteLength);
		bob.connection.receive(encodeSyncStep1(new Y.Doc()));
		bob.connection.receive(encodeSyncStep1(new Y.Doc()));
		const [full = 0, again = 0] = step2Bytes();
		expect(full).toBeGreaterThan(4_000);
		// The same empty vector again: everything was sent already.
		expect(again).toBeLessThan(10);
		alice.sendMessage('new');
		await nextTurn();
		bob.connection.receive(encodeSyncStep1(new Y.Doc()));
		// Only the new message (which was also forwarded live), not the room.
		expect(step2Bytes()[2]).toBeLessThan(500);

		const strict = makeHub({ config: { SYNC_STEP1_MIN_INTERVAL_MS: 60_000 } });
		const carol = await FakeClient.open(strict, roomId, 'carol');
		for (let i = 0; i < 3; i++) carol.connection.receive(encodeSyncStep1(new Y.Doc()));
		expect(carol.socket.of('sync-step2')).toHaveLength(1);
		expect(carol.socket.of('permission-denied').map((m) => m.reason)).toEqual([
			'rule 6: sync step 1 repeated too soon',
			'rule 6: sync step 1 repeated too soon'
		]);
		carol.connection.receive(encodeSyncStep1(new Y.Doc()));
		expect(carol.socket.closed?.code).toBe(CloseCode.RATE_LIMITED);
	});

	it('closes only the socket that sent a malformed frame', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		alice.connection.receive(new Uint8Array([0, 7, 1]));
		expect(alice.socket.closed?.code).toBe(CloseCode.MALFORMED_MESSAGE);
		expect(bob.socket.closed).toBeNull();
		bob.sendMessage('still here');
		await nextTurn();
		expect((await temp.storage.roomLog.load(roomId)).seq).toBe(1);
	});

	it('closes a socket whose send buffer is over the bound instead of buffering more', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		bob.socket.bufferedAmount = 5 * 1024 * 1024;
		alice.sendMessage('big backlog');
		await nextTurn();
		expect(bob.socket.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
		expect(bob.socket.updates()).toHaveLength(0);
	});

	it('relays awareness to the others and removes a closed connection’s states', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const awareness = new awarenessProtocol.Awareness(alice.doc);
		awareness.setLocalState({ user: { id: 'alice', name: 'alice' } });
		alice.connection.receive(
			encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [alice.doc.clientID]))
		);
		const room = hub.rooms.get(roomId);
		expect(room?.awareness.getStates().get(alice.doc.clientID)).toEqual({
			user: { id: 'alice', name: 'alice' }
		});
		expect(bob.socket.of('awareness')).toHaveLength(1);

		alice.connection.close(1000, 'bye');
		expect(room?.awareness.getStates().has(alice.doc.clientID)).toBe(false);
		expect(bob.socket.of('awareness')).toHaveLength(2);
		awareness.destroy();
	});

	it('relays the awareness changes of one AWARENESS_BATCH_MS window as one frame per socket', async () => {
		const hub = makeHub({ config: { AWARENESS_BATCH_MS: 20 } });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const carol = await FakeClient.open(hub, roomId, 'carol');
		const states: awarenessProtocol.Awareness[] = [];
		for (const client of [alice, carol]) {
			const awareness = new awarenessProtocol.Awareness(client.doc);
			awareness.setLocalState({ user: { id: client.userId, name: client.userId }, typing: true });
			client.connection.receive(
				encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [client.doc.clientID]))
			);
			states.push(awareness);
		}
		// Nothing yet: the window is open.
		expect(bob.socket.of('awareness')).toHaveLength(0);
		await bob.socket.next('awareness');
		expect(bob.socket.of('awareness')).toHaveLength(1);
		// One frame holding both states, as a stock client applies it.
		const seen = new awarenessProtocol.Awareness(new Y.Doc());
		const frame = bob.socket.of('awareness')[0];
		if (frame) awarenessProtocol.applyAwarenessUpdate(seen, frame.update, 'server');
		expect(seen.getStates().get(alice.doc.clientID)).toMatchObject({ typing: true });
		expect(seen.getStates().get(carol.doc.clientID)).toMatchObject({ typing: true });
		// Two senders: everyone gets the frame (a sender ignores its own state).
		expect(alice.socket.of('awareness')).toHaveLength(1);
		expect(carol.socket.of('awareness')).toHaveLength(1);
		for (const awareness of [...states, seen]) awareness.destroy();
	});

	it('keeps the queue when a commit fails and commits it on retry, forwarding only then', async () => {
		const real = temp.storage.roomLog;
		let failures = 1;
		const flaky: RoomLogPort = {
			...real,
			commit: async (batch) => {
				if (failures-- > 0) throw new Error('disk I/O error');
				return real.commit(batch);
			}
		};
		const hub = makeHub({ roomLog: flaky });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		alice.sendMessage('survives');
		await nextTurn();
		expect(bob.socket.updates()).toHaveLength(0);
		expect(hub.pendingCount).toBe(1);

		await until(() => hub.pendingCount === 0, 'the retried commit');
		expect(bob.receivedTexts()).toEqual(['survives']);
		expect((await real.load(roomId)).seq).toBe(1);
	});
});

describe('the per-user budget', () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it('paces a user over budget: frames wait in order, the socket is not read, then all pass', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		let now = 0;
		// Enough for her two sockets and one message.
		const budgets = new UserBudgets({
			bytesPerSecond: MESSAGE_COST_BYTES,
			burstBytes: 2 * CONNECTION_COST_BYTES + MESSAGE_COST_BYTES,
			nowMs: () => now
		});
		const hub = makeHub({ budgets });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const otherTab = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		alice.sendMessage('one');
		await nextTurn();
		// Her first message spent the whole burst: both of her sockets wait now; Bob does not.
		otherTab.sendMessage('two');
		alice.sendMessage('three');
		bob.sendMessage('bob is not paced');
		await nextTurn();
		expect(otherTab.socket.paused).toBe(true);
		expect(alice.socket.paused).toBe(true);
		expect(bob.socket.paused).toBe(false);
		const room = roomOf(hub);
		// The texts the room holds (array order depends on the clients' docs, not on arrival).
		const texts = (): string[] =>
			room.doc
				.getArray<{ text: string }>('messages')
				.toArray()
				.map((m) => m.text)
				.sort();
		expect(texts()).toEqual(['bob is not paced', 'one']);

		// The refill pays the debt back; the waiting frames pass, one message's cost at a time.
		for (let i = 0; i < 3 && texts().length < 4; i++) {
			now += 1_100;
			vi.advanceTimersByTime(1_100);
			await nextTurn();
		}
		expect(texts()).toEqual(['bob is not paced', 'one', 'three', 'two']);
		expect(alice.socket.closed).toBeNull();
		expect(otherTab.socket.closed).toBeNull();
		expect(alice.socket.paused).toBe(false);
		expect(otherTab.socket.paused).toBe(false);
	});

	it('closes a socket with 4429 that keeps sending while its user is paced', async () => {
		const budgets = new UserBudgets({ bytesPerSecond: 1, burstBytes: 1_000, nowMs: () => 0 });
		const hub = makeHub({ budgets });
		const mallory = await FakeClient.open(hub, roomId, 'carol');
		for (let i = 0; i < 1_000 && mallory.socket.closed === null; i++) {
			mallory.connection.receive(encodeSyncStep1(new Y.Doc()));
		}
		expect(mallory.socket.closed?.code).toBe(CloseCode.RATE_LIMITED);
	});
});

describe('room lifecycle', () => {
	it('compacts the log past the threshold and when the room unloads, keeping the document', async () => {
		const hub = makeHub({ config: { COMPACT_AFTER_UPDATES: 3, ROOM_IDLE_UNLOAD_MS: 20 } });
		const store = temp.storage.roomLog;
		const alice = await FakeClient.open(hub, roomId, 'alice');
		for (const text of ['1', '2', '3', '4']) {
			alice.sendMessage(text);
			await nextTurn();
		}
		// The compaction is scheduled off the hot path, right after the commit's turn.
		await nextTurn();
		expect(await store.logLength(roomId)).toBe(0);
		alice.sendMessage('5');
		await nextTurn();
		expect(await store.logLength(roomId)).toBe(1);

		alice.connection.close(1000, 'bye');
		await until(() => !hub.rooms.has(roomId), 'the room to unload');
		expect(await store.logLength(roomId)).toBe(0);
		const loaded = await store.load(roomId);
		expect(loaded.seq).toBe(5);
		expect(loaded.updates).toHaveLength(1);

		const bob = await FakeClient.open(hub, roomId, 'bob');
		bob.connection.receive(encodeSyncStep1(bob.doc));
		expect(bob.receivedTexts()).toEqual(['1', '2', '3', '4', '5']);
	});
});

describe('a sleeping room (ROOM_SLEEP_MS)', () => {
	it('keeps only its encoded state when idle and wakes with all of it: gate, forward, receipts, sync', async () => {
		const hub = makeHub({ config: { ROOM_SLEEP_MS: 20 } });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		alice.sendMessage('1');
		alice.sendMessage('2');
		await nextTurn();
		const room = roomOf(hub);
		await until(() => room.asleep, 'the room to fall asleep');

		// Presence does not need the document: relayed while the room sleeps.
		const awareness = new awarenessProtocol.Awareness(alice.doc);
		awareness.setLocalState({ user: { id: 'alice', name: 'alice' } });
		alice.connection.receive(
			encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [alice.doc.clientID]))
		);
		expect(bob.socket.of('awareness')).toHaveLength(1);
		expect(room.asleep).toBe(true);
		awareness.destroy();

		// The gate wakes it and judges against everything it held: a forged author is refused.
		bob.sendMessage('I am alice', 'alice');
		await nextTurn();
		expect(room.asleep).toBe(false);
		expect(bob.socket.of('permission-denied')[0]?.reason).toMatch(/author/);
		// An honest message is committed, forwarded and receipted as always.
		alice.sendMessage('3');
		await nextTurn();
		expect(bob.receivedTexts()).toEqual(['1', '2', '3']);
		const clock = Y.getState(alice.doc.store, alice.doc.clientID);
		expect(alice.socket.of('stored').at(-1)?.stateVector).toEqual(
			new Map([[alice.doc.clientID, clock]])
		);
		expect(await temp.storage.roomLog.logLength(roomId)).toBe(3);

		// Asleep again, a newcomer's sync gets the whole room.
		await until(() => room.asleep, 'the room to fall asleep again');
		const carol = await FakeClient.open(hub, roomId, 'carol');
		carol.connection.receive(encodeSyncStep1(carol.doc));
		expect(carol.receivedTexts()).toEqual(['1', '2', '3']);
		expect(carol.socket.of('stored')[0]?.stateVector).toEqual(
			new Map([[alice.doc.clientID, clock]])
		);
		expect(room.doc.getArray('messages').length).toBe(3);
	});

	it('compacts from its sleeping state when it unloads', async () => {
		const hub = makeHub({ config: { ROOM_SLEEP_MS: 10, ROOM_IDLE_UNLOAD_MS: 100 } });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		alice.sendMessage('1');
		await nextTurn();
		const room = roomOf(hub);
		await until(() => room.asleep, 'the room to fall asleep');
		alice.connection.close(1000, 'bye');
		await until(() => !hub.rooms.has(roomId), 'the room to unload');
		expect(room.asleep).toBe(false);
		expect(room.doc.isDestroyed).toBe(true);
		expect(await temp.storage.roomLog.logLength(roomId)).toBe(0);
		const bob = await FakeClient.open(hub, roomId, 'bob');
		bob.connection.receive(encodeSyncStep1(bob.doc));
		expect(bob.receivedTexts()).toEqual(['1']);
	});

	it('stays awake while updates are uncommitted', async () => {
		const hub = makeHub({ config: { ROOM_SLEEP_MS: 5 } });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const room = roomOf(hub);
		// The commit waits for the next turn; timers of 5 ms pass meanwhile.
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => (release = resolve));
		const commit = temp.storage.roomLog.commit.bind(temp.storage.roomLog);
		vi.spyOn(temp.storage.roomLog, 'commit').mockImplementationOnce(async (batch) => {
			await held;
			return commit(batch);
		});
		alice.sendMessage('1');
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(room.asleep).toBe(false);
		release();
		await until(() => room.asleep, 'the room to fall asleep after its commit');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		bob.connection.receive(encodeSyncStep1(bob.doc));
		expect(bob.receivedTexts()).toEqual(['1']);
	});
});

describe('room hub with a bus', () => {
	it('delivers committed updates to another instance and fills a seq gap from the store', async () => {
		const busHub = new InProcessBusHub();
		const dbTwo = openSecondConnection();
		const one = makeHub({ bus: new InProcessBus(busHub) });
		const two = makeHub({ bus: new InProcessBus(busHub), roomLog: sqliteRoomLog(dbTwo) });
		const alice = await FakeClient.open(one, roomId, 'alice');
		const bob = await FakeClient.open(two, roomId, 'bob');

		alice.sendMessage('first');
		await nextTurn();
		expect(bob.receivedTexts()).toEqual(['first']);
		expect(two.rooms.get(roomId)?.lastSeq).toBe(1);

		// A commit whose bus message never arrives (e.g. Redis dropped it): seq 2.
		const carolDoc = new Y.Doc();
		carolDoc
			.getArray('messages')
			.push([{ id: crypto.randomUUID(), author: 'carol', text: 'missed', ts: Date.now() }]);
		await temp.storage.roomLog.commit([{ roomId, data: Y.encodeStateAsUpdate(carolDoc) }]);

		alice.sendMessage('third');
		await nextTurn();
		// One's own commit got seq 3, so one also read 2 back; two saw 3 after 1 and read the gap.
		expect(one.rooms.get(roomId)?.lastSeq).toBe(3);
		expect(two.rooms.get(roomId)?.lastSeq).toBe(3);
		expect(bob.receivedTexts().sort()).toEqual(['first', 'missed', 'third']);
		expect(
			two.rooms
				.get(roomId)
				?.doc.getArray<{ text: string }>('messages')
				.toArray()
				.map((m) => m.text)
				.sort()
		).toEqual(['first', 'missed', 'third']);
	});

	it('re-reads the store on resync and closes a revoked user’s sockets on every instance', async () => {
		const busHub = new InProcessBusHub();
		const busTwo = new InProcessBus(busHub);
		const one = makeHub({ bus: new InProcessBus(busHub) });
		const two = makeHub({ bus: busTwo, roomLog: sqliteRoomLog(openSecondConnection()) });
		const alice = await FakeClient.open(one, roomId, 'alice');
		const bob = await FakeClient.open(two, roomId, 'bob');

		const doc = new Y.Doc();
		doc
			.getArray('messages')
			.push([{ id: crypto.randomUUID(), author: 'carol', text: 'quiet', ts: Date.now() }]);
		await temp.storage.roomLog.commit([{ roomId, data: Y.encodeStateAsUpdate(doc) }]);
		busTwo.resync();
		// The resync's read of the store (asynchronous: this waits for that same read).
		await roomOf(two).catchUp();
		expect(bob.receivedTexts()).toEqual(['quiet']);

		one.revoke(roomId, 'bob');
		await nextTurn();
		expect(bob.socket.closed?.code).toBe(CloseCode.FORBIDDEN);
		expect(alice.socket.closed).toBeNull();
	});
});

describe('room hub edge cases', () => {
	it('refuses an update whose new clientID another instance claimed first, stores none of it, and reloads the room', async () => {
		// No bus between the two instances: only the commit's claim can tell.
		const one = makeHub({ bus: new InProcessBus() });
		const two = makeHub({
			bus: new InProcessBus(),
			roomLog: sqliteRoomLog(openSecondConnection())
		});
		const alice = await FakeClient.open(one, roomId, 'alice');
		const mallory = await FakeClient.open(two, roomId, 'mallory');
		const bystander = await FakeClient.open(two, roomId, 'bob');
		alice.sendMessage('mine');
		await nextTurn();

		// Mallory writes as herself under Alice's clientID, which instance two has not seen yet.
		mallory.doc.clientID = alice.doc.clientID;
		const refused = mallory.socket.next('permission-denied');
		mallory.sendMessage('stolen id');
		await refused;
		expect(mallory.socket.of('permission-denied')[0]?.reason).toBe(
			`rule 5: clientID ${alice.doc.clientID} belongs to another user`
		);
		expect(messageTexts((await temp.storage.roomLog.load(roomId)).updates)).toEqual(['mine']);
		// Instance two's memory held what the log never will: its sockets reconnect to a reload.
		expect(bystander.socket.closed?.code).toBe(CloseCode.SERVICE_RESTART);
		expect(bystander.receivedTexts()).toEqual([]);
		expect(two.rooms.has(roomId)).toBe(false);
	});

	it('answers an update that builds on changes it lacks with its step 1 instead of counting a refusal', async () => {
		const metrics = createMetrics();
		const hub = makeHub({ metrics });
		const tabOne = await FakeClient.open(hub, roomId, 'alice');
		const tabTwo = await FakeClient.open(hub, roomId, 'alice');
		// Tab one writes, but its socket has not sent the change yet; tab two already has it (the
		// tabs share it locally) and writes after it, so tab two's updates name it as origin.
		tabOne.doc
			.getArray('messages')
			.push([{ id: crypto.randomUUID(), author: 'alice', text: 'unsent', ts: Date.now() }]);
		Y.applyUpdate(tabTwo.doc, Y.encodeStateAsUpdate(tabOne.doc));
		tabTwo.socket.received.length = 0;
		for (const text of ['a', 'b', 'c']) tabTwo.sendMessage(text);

		const denied = tabTwo.socket.of('permission-denied').map((m) => m.reason);
		expect(denied).toEqual(Array(3).fill('update depends on changes the server does not have'));
		expect(tabTwo.socket.closed).toBeNull();
		expect(tabTwo.socket.received.at(-1)?.type).toBe('sync-step1');
		expect((await metrics.updatesRefused.get()).values).toEqual([
			{ labels: { rule: 'resync' }, value: 3 }
		]);

		// The honest client answers the server's step 1 with everything the server lacks.
		const step1 = tabTwo.socket.of('sync-step1').at(-1);
		if (!step1) throw new Error('no step 1');
		tabTwo.connection.receive(encodeSyncStep2(tabTwo.doc, step1.stateVector));
		await nextTurn();
		const texts = hub.rooms
			.get(roomId)
			?.doc.getArray<{ text: string }>('messages')
			.toArray()
			.map((m) => m.text);
		expect(texts).toEqual(['unsent', 'a', 'b', 'c']);
		expect((await temp.storage.roomLog.load(roomId)).seq).toBe(1);
	});

	it('sends one step 1 for several gaps while updates are uncommitted', async () => {
		const hub = makeHub();
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const ahead = new Y.Doc();
		ahead
			.getArray('messages')
			.push([{ id: crypto.randomUUID(), author: 'alice', text: 'unsent', ts: Date.now() }]);
		Y.applyUpdate(alice.doc, Y.encodeStateAsUpdate(ahead));
		bob.sendMessage('pending');
		alice.socket.received.length = 0;
		alice.sendMessage('x');
		alice.sendMessage('y');
		expect(alice.socket.of('permission-denied')).toHaveLength(2);
		expect(alice.socket.of('sync-step1')).toHaveLength(0);
		await nextTurn();
		expect(alice.socket.of('sync-step1')).toHaveLength(1);
	});

	it('closes a socket whose sync step 1 carries a malformed state vector with 4400', async () => {
		const hub = makeHub();
		const alice = await FakeClient.open(hub, roomId, 'alice');
		// SYNC, step 1, a two-byte state vector whose varUint never ends.
		alice.connection.receive(new Uint8Array([0, 0, 2, 0x80, 0x80]));
		expect(alice.socket.closed?.code).toBe(CloseCode.MALFORMED_MESSAGE);
	});

	it('never lets a second connection take over another connection’s awareness clientID', async () => {
		const hub = makeHub({ awarenessPolicy: sanitizeAwarenessUpdate });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const room = hub.rooms.get(roomId);
		const sharedId = alice.doc.clientID;
		// y-protocols' awareness encoding: count, then clientID, clock, JSON state.
		const stateFrame = (clock: number, name: string): Uint8Array => {
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarUint(encoder, sharedId);
			encoding.writeVarUint(encoder, clock);
			encoding.writeVarString(encoder, JSON.stringify({ user: { id: name, name } }));
			return encodeAwareness(encoding.toUint8Array(encoder));
		};
		alice.connection.receive(stateFrame(1, 'alice'));
		expect(room?.awareness.getStates().get(sharedId)).toEqual({
			user: { id: 'alice', name: 'alice' }
		});

		bob.connection.receive(stateFrame(2, 'bob'));
		expect(room?.awareness.getStates().get(sharedId)).toEqual({
			user: { id: 'alice', name: 'alice' }
		});
		expect(room?.awarenessIdsOf(bob.connection).size).toBe(0);

		// Once alice's connection is gone, the clientID is free again.
		alice.connection.close(1000, 'bye');
		bob.connection.receive(stateFrame(3, 'bob'));
		expect(room?.awareness.getStates().get(sharedId)).toEqual({ user: { id: 'bob', name: 'bob' } });
	});

	it('prunes removed awareness clientIDs from the room’s awareness, so cycling them keeps its memory flat', async () => {
		const hub = makeHub({ awarenessPolicy: sanitizeAwarenessUpdate });
		const cycler = await FakeClient.open(hub, roomId, 'alice');
		const room = roomOf(hub);
		const frame = (clientId: number, state: unknown): Uint8Array => {
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarUint(encoder, clientId);
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarString(encoder, JSON.stringify(state));
			return encodeAwareness(encoding.toUint8Array(encoder));
		};
		// One socket: set a clientID, remove it, take the next one.
		for (let id = 1_000; id < 1_500; id++) {
			cycler.connection.receive(frame(id, { typing: false }));
			cycler.connection.receive(frame(id, null));
		}
		// Sockets that come and go, each with its own clientID, removed when they close.
		for (let id = 2_000; id < 2_200; id++) {
			const passing = await FakeClient.open(hub, roomId, 'carol');
			passing.connection.receive(frame(id, { typing: true }));
			passing.connection.close(1000, 'bye');
		}
		expect(cycler.socket.closed).toBeNull();
		expect(room.awareness.getStates().size).toBe(0);
		expect(room.awareness.meta.size).toBeLessThanOrEqual(1);
	});

	it('raises its high-water marks for updates another instance committed', async () => {
		const busHub = new InProcessBusHub();
		const one = makeHub({ bus: new InProcessBus(busHub) });
		const two = makeHub({
			bus: new InProcessBus(busHub),
			roomLog: sqliteRoomLog(openSecondConnection())
		});
		const alice = await FakeClient.open(one, roomId, 'alice');
		const bob = await FakeClient.open(two, roomId, 'bob');
		alice.sendMessage('first');
		alice.sendMessage('second');
		await nextTurn();
		expect(bob.receivedTexts()).toEqual(['first', 'second']);
		const clock = Y.getState(alice.doc.store, alice.doc.clientID);
		expect(two.rooms.get(roomId)?.highWaterMark(alice.doc.clientID)).toBe(clock);
	});

	it('closes a logged-out session’s sockets on every instance and no one else’s', async () => {
		const busHub = new InProcessBusHub();
		const one = makeHub({ bus: new InProcessBus(busHub) });
		const two = makeHub({
			bus: new InProcessBus(busHub),
			roomLog: sqliteRoomLog(openSecondConnection())
		});
		const user = { userId: 'alice', username: 'alice' };
		const here = new FakeSocket();
		const there = new FakeSocket();
		const otherSession = new FakeSocket();
		await one.connect(roomId, here, { ...user, sessionId: 's1' });
		await two.connect(roomId, there, { ...user, sessionId: 's1' });
		await two.connect(roomId, otherSession, { ...user, sessionId: 's2' });

		one.endSession('s1');
		expect(here.closed?.code).toBe(CloseCode.UNAUTHORIZED);
		await nextTurn();
		expect(there.closed?.code).toBe(CloseCode.UNAUTHORIZED);
		expect(otherSession.closed).toBeNull();
	});
});

describe('sealing the head', () => {
	const SEAL = { SEAL_AFTER_MESSAGES: 3 };

	/** The room's history rows in SQLite. */
	function history(): { epoch: number; segments: number[]; ids: number; epochs: number[] } {
		const room = db
			.prepare<[string], { epoch: number }>('SELECT epoch FROM rooms WHERE id = ?')
			.get(roomId);
		const segments = db
			.prepare<[string], { count: number }>(
				'SELECT count FROM room_segments WHERE room_id = ? ORDER BY n'
			)
			.all(roomId);
		const ids = db
			.prepare<[string], { n: number }>(
				'SELECT COUNT(*) AS n FROM room_message_ids WHERE room_id = ?'
			)
			.get(roomId);
		const epochs = db
			.prepare<[string], { epoch: number }>('SELECT epoch FROM room_epochs WHERE room_id = ?')
			.all(roomId);
		return {
			epoch: room?.epoch ?? -1,
			segments: segments.map((row) => row.count),
			ids: ids?.n ?? 0,
			epochs: epochs.map((row) => row.epoch)
		};
	}

	/** The room as a client syncing with it now would get it (sync step 1 from an empty doc). */
	function syncedDoc(client: FakeClient): Y.Doc {
		client.connection.receive(encodeSyncStep1(new Y.Doc()));
		const doc = new Y.Doc();
		for (const update of client.socket.updates()) Y.applyUpdate(doc, update);
		return doc;
	}

	it('seals after the flush that reaches SEAL_AFTER_MESSAGES and closes every instance’s sockets with 4409', async () => {
		const busHub = new InProcessBusHub();
		const metrics = createMetrics();
		const one = makeHub({ bus: new InProcessBus(busHub), config: SEAL, metrics });
		const two = makeHub({
			bus: new InProcessBus(busHub),
			roomLog: sqliteRoomLog(openSecondConnection()),
			config: SEAL
		});
		const alice = await FakeClient.open(one, roomId, 'alice');
		const bob = await FakeClient.open(two, roomId, 'bob');
		alice.sendMessage('a');
		alice.sendMessage('b');
		await nextTurn();
		const firstId = alice.doc.getArray<{ id: string }>('messages').get(0).id;
		const editTs = Date.now();
		alice.sendChange((doc) =>
			doc.getMap('changes').set(firstId, { text: 'a, edited', ts: editTs })
		);
		await nextTurn();
		expect(history().epoch).toBe(0);
		expect(alice.socket.closed).toBeNull();

		alice.sendMessage('c');
		await until(() => alice.socket.closed !== null, 'the seal');
		expect(alice.socket.closed).toEqual({ code: CloseCode.EPOCH_CHANGED, reason: 'epoch changed' });
		expect(one.rooms.has(roomId)).toBe(false);
		await until(() => bob.socket.closed !== null, 'the other instance to hear of it');
		expect(bob.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(two.rooms.has(roomId)).toBe(false);
		expect(history()).toEqual({ epoch: 1, segments: [3], ids: 3, epochs: [0] });
		expect((await metrics.roomSeals.get()).values[0]?.value).toBe(1);

		// The next connection loads the small head: no messages, the edit carried over.
		const carol = await FakeClient.open(two, roomId, 'carol', 1);
		expect(carol.socket.closed).toBeNull();
		expect(two.rooms.get(roomId)?.epoch).toBe(1);
		const head = syncedDoc(carol);
		expect(head.getArray('messages').length).toBe(0);
		expect(head.getMap('changes').get(firstId)).toEqual({ text: 'a, edited', ts: editTs });

		// A stock client (no epoch) re-sending the sealed epoch is refused: the ids are used.
		const stock = await FakeClient.open(one, roomId, 'alice');
		const refused = stock.socket.next('permission-denied');
		stock.connection.receive(encodeUpdate(Y.encodeStateAsUpdate(alice.doc)));
		// The gate asks the room log for the sealed ids (asynchronously) before it answers.
		await refused;
		expect(stock.socket.of('permission-denied')[0]?.reason).toMatch(/^rule 2: /);
		await nextTurn();
		expect(one.rooms.get(roomId)?.doc.getArray('messages').length).toBe(0);
		expect((await temp.storage.roomLog.load(roomId)).seq).toBe(5);
	});

	it('seals under steady traffic, right after a flush, when no turn is ever quiet', async () => {
		const hub = makeHub({ config: SEAL });
		const alice = await FakeClient.open(hub, roomId, 'alice');
		for (const text of ['a', 'b', 'c']) {
			alice.sendMessage(text);
			await nextTurn();
		}
		// From now on every turn brings a new update before the scheduled seal runs.
		for (let i = 0; i < 5 && alice.socket.closed === null; i++) {
			alice.sendMessage(`busy ${i}`);
			await nextTurn();
		}
		expect(alice.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(history()).toMatchObject({ epoch: 1, segments: [3, 1], ids: 4 });
	});

	it('does not seal a head again before SEAL_MIN_INTERVAL_MS, however fast its messages arrive', async () => {
		let now = Date.now();
		const hub = makeHub({ config: { ...SEAL, SEAL_MIN_INTERVAL_MS: 60_000 }, nowMs: () => now });
		const first = await FakeClient.open(hub, roomId, 'alice');
		for (const text of ['a', 'b', 'c']) first.sendMessage(text);
		await until(() => first.socket.closed !== null, 'the first seal');
		expect(history().epoch).toBe(1);

		// A flood right after: twice the threshold, in many turns. The head is due, not sealed.
		const flooder = await FakeClient.open(hub, roomId, 'alice', 1);
		for (let i = 0; i < 6; i++) {
			flooder.sendMessage(`flood ${i}`);
			await nextTurn();
			await new Promise((resolve) => setImmediate(resolve));
		}
		expect(flooder.socket.closed).toBeNull();
		expect(history().epoch).toBe(1);

		// Once the interval has passed (the store stamped the seal with the real clock, a few ms
		// after this test began), the next flush seals it.
		now += 61_000;
		flooder.sendMessage('after the interval');
		await until(() => flooder.socket.closed !== null, 'the second seal');
		expect(flooder.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(history()).toMatchObject({ epoch: 2, segments: [3, 3, 3, 1] });
	});

	it('accepts a socket of another epoch and closes it at once with 4409', async () => {
		const hub = makeHub({ config: SEAL });
		const stale = await FakeClient.open(hub, roomId, 'alice', 1);
		expect(stale.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(stale.socket.received).toEqual([]);
		expect(hub.rooms.get(roomId)?.connections.size).toBe(0);
		const current = await FakeClient.open(hub, roomId, 'alice', 0);
		const stock = await FakeClient.open(hub, roomId, 'bob');
		expect(current.socket.closed).toBeNull();
		expect(stock.socket.closed).toBeNull();
		expect(current.socket.of('sync-step1')).toHaveLength(1);
	});

	it('seals a room that loads already past the threshold before serving its first connection', async () => {
		const store = temp.storage.roomLog;
		const writer = new Y.Doc();
		for (let i = 0; i < 7; i++) {
			await store.commit([{ roomId, data: messageUpdate(writer, 'alice', `old ${i}`) }]);
		}
		const hub = makeHub({ config: SEAL });
		const old = await FakeClient.open(hub, roomId, 'alice', 0);
		expect(old.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(history()).toEqual({ epoch: 1, segments: [3, 3, 1], ids: 7, epochs: [0] });
		const fresh = await FakeClient.open(hub, roomId, 'bob');
		expect(fresh.socket.closed).toBeNull();
		expect(hub.rooms.get(roomId)?.epoch).toBe(1);
		expect(syncedDoc(fresh).getArray('messages').length).toBe(0);
	});

	it('drops updates gated against a head another instance sealed: not stored, acknowledged nor forwarded', async () => {
		// No bus between the two: only the store can tell.
		const bus = new InProcessBus();
		const hub = makeHub({ bus, config: { SEAL_AFTER_MESSAGES: 100 } });
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const carol = await FakeClient.open(hub, roomId, 'carol');
		bob.sendMessage('before');
		await nextTurn();
		expect(carol.receivedTexts()).toEqual(['before']);
		const receiptsBefore = bob.socket.of('stored').length;

		bob.sendMessage('too late');
		expect(hub.pendingCount).toBe(1);
		// Another instance seals epoch 0 now, between the gate and the commit.
		const elsewhere = sqliteRoomLog(openSecondConnection());
		const sealedDoc = new Y.Doc();
		for (const update of (await elsewhere.load(roomId)).updates) Y.applyUpdate(sealedDoc, update);
		expect(await elsewhere.seal(roomId, { epoch: 0, lastSeq: 1 }, buildSeal(sealedDoc, 100))).toBe(
			1
		);

		await nextTurn();
		expect(hub.pendingCount).toBe(0);
		expect(bob.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(carol.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		expect(bob.socket.of('stored')).toHaveLength(receiptsBefore);
		expect(carol.receivedTexts()).toEqual(['before']);
		expect(hub.rooms.has(roomId)).toBe(false);
		const store = temp.storage.roomLog;
		expect(await store.load(roomId)).toMatchObject({ seq: 2, epoch: 1 });
		expect(messageTexts((await store.load(roomId)).updates)).toEqual([]);
		expect(history().ids).toBe(1);

		// The clients re-send into the new head, where it is stored.
		const again = await FakeClient.open(hub, roomId, 'bob', 1);
		const stored = again.socket.next('stored');
		again.sendMessage('too late');
		// In a sealed room the gate first asks the room log whether the message id was sealed.
		await stored;
		expect(messageTexts((await store.load(roomId)).updates)).toEqual(['too late']);
	});

	it('closes with 4409 and unloads when a catch-up finds a newer epoch', async () => {
		const bus = new InProcessBus();
		const hub = makeHub({ bus, config: { SEAL_AFTER_MESSAGES: 100 } });
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const elsewhere = sqliteRoomLog(openSecondConnection());
		await elsewhere.seal(roomId, { epoch: 0, lastSeq: 0 }, buildSeal(new Y.Doc(), 100));
		bob.socket.received.length = 0;
		const room = roomOf(hub);
		bus.resync();
		// The resync's read of the store (asynchronous: this waits for that same read).
		await room.catchUp();
		expect(bob.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
		// Nothing of the new head was mixed into the old one on the way out.
		expect(bob.socket.updates()).toEqual([]);
		expect(hub.rooms.has(roomId)).toBe(false);
	});

	it('asks the store when a client names a newer epoch than the loaded head', async () => {
		// No bus: this instance has not heard of the seal another one made.
		const hub = makeHub({ bus: new InProcessBus(), config: { SEAL_AFTER_MESSAGES: 100 } });
		const bob = await FakeClient.open(hub, roomId, 'bob');
		const elsewhere = sqliteRoomLog(openSecondConnection());
		await elsewhere.seal(roomId, { epoch: 0, lastSeq: 0 }, buildSeal(new Y.Doc(), 100));
		const moved = await FakeClient.open(hub, roomId, 'alice', 1);
		expect(moved.socket.closed).toBeNull();
		expect(hub.rooms.get(roomId)?.epoch).toBe(1);
		expect(bob.socket.closed?.code).toBe(CloseCode.EPOCH_CHANGED);
	});
});
