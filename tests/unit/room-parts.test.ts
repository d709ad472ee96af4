/**
 * The parts a room replica is wired from (src/lib/client/room.svelte.ts): the delivery ledger,
 * the connection monitor, presence, the commands and the sender. Each with fakes for the
 * browser (storage, network events) and the provider; a real Y.Doc.
 */
import { createPublicKey, verify } from 'node:crypto';
import { ObservableV2 } from 'lib0/observable';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { UNREACHABLE_AFTER_MS } from '../../src/lib/client/connection';
import {
	ConnectionMonitor,
	type BrowserNetwork,
	type MonitoredProvider
} from '../../src/lib/client/connection-monitor.svelte';
import { deliveryOf, serializeDeliveryState } from '../../src/lib/client/delivery';
import { DeliveryLedger } from '../../src/lib/client/delivery-ledger';
import { MessageViews, roomTypesOf, type MessageView } from '../../src/lib/client/message-views';
import type { ChatMessage } from '../../src/lib/client/messages';
import { PresenceChannel } from '../../src/lib/client/presence-channel.svelte';
import { TYPING_IDLE_MS } from '../../src/lib/client/presence';
import { MARK_READ_INTERVAL_MS, RoomCommands } from '../../src/lib/client/room-commands';
import {
	RoomSender,
	STORAGE_DID_NOT_ANSWER,
	type SendTarget
} from '../../src/lib/client/room-sender';
import type { ItemSigner } from '../../src/lib/client/item-signer';
import {
	changeSigningBytes,
	messageSigningBytes,
	reactionSigningBytes,
	readSigningBytes
} from '../../src/lib/protocol/signatures';
import { makeDeviceKeys } from '../support/device';
import { COULD_NOT_KEEP_OFFLINE } from '../../src/lib/client/storage-space.svelte';
import { CloseCode } from '../../src/lib/protocol/wire';

/** localStorage as the ledger uses it, plus 'storage' events another tab would cause. */
class FakeStorage {
	readonly items = new Map<string, string>();
	readonly events = new EventTarget();
	getItem(key: string): string | null {
		return this.items.get(key) ?? null;
	}
	setItem(key: string, value: string): void {
		this.items.set(key, value);
	}
	/** Another tab writes the entry: the value changes and this tab hears a 'storage' event. */
	writeFromOtherTab(key: string, value: string): void {
		this.items.set(key, value);
		const event = new Event('storage') as Event & { key: string; newValue: string };
		Object.assign(event, { key, newValue: value });
		this.events.dispatchEvent(event);
	}
}

const KEY = 'parley:delivery:u1:r1';

describe('DeliveryLedger', () => {
	function ledgerOn(storage: FakeStorage, onChange = vi.fn()): DeliveryLedger {
		return new DeliveryLedger({ storageKey: KEY, storage, events: storage.events, onChange });
	}

	it('starts from what localStorage holds and writes every change back', () => {
		const storage = new FakeStorage();
		storage.setItem(
			KEY,
			serializeDeliveryState({ stored: new Map([[5, 3]]), ownClients: new Set([5]) })
		);
		const onChange = vi.fn();
		const ledger = ledgerOn(storage, onChange);
		expect(deliveryOf({ client: 5, clock: 2 }, ledger.state)).toBe('stored');
		expect(deliveryOf({ client: 5, clock: 3 }, ledger.state)).toBe('pending');

		ledger.recordStored(new Map([[5, 4]]));
		expect(deliveryOf({ client: 5, clock: 3 }, ledger.state)).toBe('stored');
		expect(onChange).toHaveBeenCalledTimes(1);
		expect(ledgerOn(storage).state.stored.get(5)).toBe(4);
		// Nothing new: no write, no refresh.
		ledger.recordStored(new Map([[5, 2]]));
		expect(onChange).toHaveBeenCalledTimes(1);
	});

	it('keeps the clients another tab saved when it adds its own, and reads storage only for a new client', () => {
		const storage = new FakeStorage();
		const ledger = ledgerOn(storage);
		// Another tab saved its client, and its 'storage' event has not arrived yet.
		storage.setItem(KEY, serializeDeliveryState({ stored: new Map(), ownClients: new Set([9]) }));
		ledger.addOwnClient(1);
		expect([...ledger.state.ownClients].sort()).toEqual([1, 9]);

		const reads = vi.spyOn(storage, 'getItem');
		ledger.addOwnClient(1);
		expect(reads).not.toHaveBeenCalled();
	});

	it('merges what other tabs learn, and stops listening once destroyed', () => {
		const storage = new FakeStorage();
		const onChange = vi.fn();
		const ledger = ledgerOn(storage, onChange);
		ledger.addOwnClient(1);
		storage.writeFromOtherTab(
			KEY,
			serializeDeliveryState({ stored: new Map([[1, 10]]), ownClients: new Set([1, 2]) })
		);
		expect(deliveryOf({ client: 1, clock: 9 }, ledger.state)).toBe('stored');
		expect(ledger.state.ownClients.has(2)).toBe(true);
		expect(onChange).toHaveBeenCalledTimes(1);
		storage.writeFromOtherTab('another key', '{}');
		expect(onChange).toHaveBeenCalledTimes(1);

		ledger.destroy();
		storage.writeFromOtherTab(
			KEY,
			serializeDeliveryState({ stored: new Map([[1, 20]]), ownClients: new Set([1]) })
		);
		expect(ledger.state.stored.get(1)).toBe(10);
	});
});

/** A provider with the fields and events the monitor reads. */
class FakeProvider
	extends ObservableV2<{
		status: () => void;
		'connection-close': () => void;
		sync: (synced: boolean) => void;
		closed: (event: { code: number; reason: string }) => void;
	}>
	implements MonitoredProvider
{
	wsconnected = false;
	synced = false;
	shouldConnect = true;
	ws: unknown = null;
	connects = 0;
	connect(): void {
		this.connects++;
		this.ws = {};
	}
	open(): void {
		this.ws = {};
		this.wsconnected = true;
		this.emit('status', []);
		this.synced = true;
		this.emit('sync', [true]);
	}
	drop(): void {
		this.ws = null;
		this.wsconnected = false;
		this.synced = false;
		this.emit('connection-close', []);
	}
	closeFor(code: number, reason = ''): void {
		this.drop();
		this.shouldConnect = false;
		this.emit('closed', [{ code, reason }]);
	}
}

class FakeNetwork implements BrowserNetwork {
	online = true;
	ms = 0;
	readonly events = new EventTarget();
	isOnline(): boolean {
		return this.online;
	}
	now(): number {
		return this.ms;
	}
	set(online: boolean): void {
		this.online = online;
		this.events.dispatchEvent(new Event(online ? 'online' : 'offline'));
	}
}

describe('ConnectionMonitor', () => {
	beforeEach(() => {
		vi.useFakeTimers();
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	function monitored(): {
		network: FakeNetwork;
		provider: FakeProvider;
		monitor: ConnectionMonitor;
		epochChanges: { count: number };
	} {
		const network = new FakeNetwork();
		const epochChanges = { count: 0 };
		const monitor = new ConnectionMonitor({
			network,
			onEpochChanged: () => epochChanges.count++
		});
		const provider = new FakeProvider();
		return { network, provider, monitor, epochChanges };
	}

	it('says connecting until the first sync, then online, and settles the first sync', async () => {
		const { provider, monitor } = monitored();
		expect(monitor.status).toBe('connecting');
		monitor.attach(provider);
		expect(monitor.status).toBe('connecting');
		provider.open();
		expect(monitor.status).toBe('online');
		expect(monitor.syncedOnce).toBe(true);
		await expect(monitor.firstSync).resolves.toBe('synced');
	});

	it('says offline after a failed attempt, and blames the server once failures outlast the grace time', () => {
		const { network, provider, monitor } = monitored();
		monitor.attach(provider);
		provider.open();
		provider.drop();
		expect(monitor.status).toBe('offline');
		network.ms = UNREACHABLE_AFTER_MS + 100;
		vi.advanceTimersByTime(UNREACHABLE_AFTER_MS + 100);
		expect(monitor.status).toBe('unreachable');
		// The network comes back: try at once, and the clock starts over.
		network.set(true);
		expect(provider.connects).toBe(1);
		expect(monitor.status).toBe('connecting');
	});

	it('says offline with the browser offline whatever the socket does', () => {
		const { network, provider, monitor } = monitored();
		monitor.attach(provider);
		provider.open();
		network.set(false);
		expect(monitor.status).toBe('offline');
	});

	it('keeps the reason when the server ends access, and never reconnects after it', async () => {
		const { network, provider, monitor } = monitored();
		monitor.attach(provider);
		provider.closeFor(CloseCode.FORBIDDEN, 'not a member');
		expect(monitor.accessError).toBe('not a member');
		expect(monitor.status).toBe('offline');
		await expect(monitor.firstSync).resolves.toBe('access-lost');
		network.set(true);
		expect(provider.connects).toBe(0);
	});

	it('marks a tab the server finds out of date, without an access error', () => {
		const { provider, monitor } = monitored();
		monitor.attach(provider);
		provider.closeFor(CloseCode.CLIENT_OUTDATED, 'reload');
		expect(monitor.outdated).toBe(true);
		expect(monitor.accessError).toBeNull();
		expect(monitor.status).toBe('offline');
	});

	it('hands an epoch change to the session and reads as connecting meanwhile', async () => {
		const { provider, monitor, epochChanges } = monitored();
		monitor.attach(provider);
		provider.closeFor(CloseCode.EPOCH_CHANGED);
		expect(monitor.epochChanged).toBe(true);
		expect(epochChanges.count).toBe(1);
		expect(monitor.status).toBe('connecting');
		await expect(monitor.firstSync).resolves.toBe('epoch-changed');
	});

	it('settles the first sync as destroyed and stops listening', async () => {
		const { network, provider, monitor } = monitored();
		monitor.attach(provider);
		monitor.destroy();
		await expect(monitor.firstSync).resolves.toBe('destroyed');
		provider.open();
		network.set(false);
		expect(monitor.status).toBe('connecting');
	});
});

describe('PresenceChannel', () => {
	beforeEach(() => {
		vi.useFakeTimers();
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it('lists the user at once and lets typing lapse after the idle time', () => {
		const presence = new PresenceChannel(new Y.Doc(), { id: 'u1', name: 'alice' });
		expect(presence.peers.map((peer) => peer.id)).toEqual(['u1']);
		presence.setTyping(true);
		expect(presence.peers[0]?.typing).toBe(true);
		vi.advanceTimersByTime(TYPING_IDLE_MS + 1);
		expect(presence.peers[0]?.typing).toBe(false);
		presence.destroy();
	});
});

describe('RoomCommands', () => {
	function commandsFor(
		userId = 'u1',
		signer?: ItemSigner
	): {
		doc: Y.Doc;
		commands: RoomCommands;
		views: () => readonly MessageView[];
		own: number[];
		clock: { ms: number };
		stops: { count: number };
		lengthsWhenAdded: number[];
	} {
		const doc = new Y.Doc();
		const types = roomTypesOf(doc);
		const builder = new MessageViews(userId);
		const own: number[] = [];
		const lengthsWhenAdded: number[] = [];
		const clock = { ms: 0 };
		const stops = { count: 0 };
		const views = (): readonly MessageView[] =>
			builder.derive(types, { stored: new Map(), ownClients: new Set(own) }).views;
		const commands = new RoomCommands({
			doc,
			types,
			userId,
			roomId: 'room-1',
			...(signer ? { signer } : {}),
			maxMessageChars: 20,
			messages: views,
			addOwnClient: (client) => {
				lengthsWhenAdded.push(types.messages.length);
				if (!own.includes(client)) own.push(client);
			},
			stopTyping: () => stops.count++,
			now: () => clock.ms
		});
		return { doc, commands, views, own, clock, stops, lengthsWhenAdded };
	}

	it('sends a trimmed draft as exactly the message schema, pending, and stops typing', () => {
		const { doc, commands, views, own, stops, lengthsWhenAdded } = commandsFor();
		const result = commands.send('  hello  ');
		expect(result.ok).toBe(true);
		const stored = doc.getArray('messages').toJSON() as ChatMessage[];
		expect(stored).toHaveLength(1);
		expect(Object.keys(stored[0] ?? {}).sort()).toEqual(['author', 'id', 'text', 'ts']);
		expect(stored[0]?.text).toBe('hello');
		expect(own).toEqual([doc.clientID]);
		// Recorded before the message landed: it reads as pending from its first render.
		expect(lengthsWhenAdded).toEqual([0]);
		expect(views()[0]?.receipt).toBe('pending');
		expect(stops.count).toBe(1);
	});

	it('signs every write with the device, in the order the user made them, over the room’s canonical bytes', async () => {
		const keys = makeDeviceKeys();
		const device = 'a'.repeat(24);
		const signer: ItemSigner = {
			sign: async (bytes) => ({ device, sig: keys.sign(bytes(device)) })
		};
		const { doc, commands } = commandsFor('u1', signer);
		const types = roomTypesOf(doc);
		const sent = commands.send('signed');
		if (!sent.ok) throw new Error('send failed');
		// Signing is asynchronous: nothing is written until the signature is there, and the
		// commands say so (a seal's move waits for it: room-session.svelte.ts).
		expect(types.messages.length).toBe(0);
		expect(commands.busy).toBe(true);
		await commands.settled();
		expect(commands.busy).toBe(false);
		expect(types.messages.length).toBe(1);
		commands.edit(sent.id, 'signed, edited');
		commands.toggleReaction(sent.id, '👍');
		commands.toggleReaction(sent.id, '🎉');
		commands.toggleReaction(sent.id, '🎉');
		commands.markRead(() => true);
		await commands.settled();

		const verifies = (bytes: Uint8Array, value: { device?: string; sig?: string }): boolean =>
			value.device === device &&
			verify(
				null,
				bytes,
				createPublicKey(keys.privateSigningKey),
				Buffer.from(value.sig ?? '', 'base64url')
			);
		const message = types.messages.get(0) as ChatMessage & { device: string; sig: string };
		expect(Object.keys(message).sort()).toEqual(['author', 'device', 'id', 'sig', 'text', 'ts']);
		expect(verifies(messageSigningBytes('room-1', message, device), message)).toBe(true);
		expect(verifies(messageSigningBytes('room-2', message, device), message)).toBe(false);
		const change = types.changes.get(sent.id) as { text: string; ts: number; sig: string };
		expect(change.text).toBe('signed, edited');
		expect(verifies(changeSigningBytes('room-1', sent.id, 'u1', change, device), change)).toBe(
			true
		);
		const thumbs = `${sent.id}|👍|u1`;
		expect([...types.reactions.keys()]).toEqual([thumbs]);
		const reaction = types.reactions.get(thumbs) as { ts: number; sig: string };
		expect(verifies(reactionSigningBytes('room-1', thumbs, reaction.ts, device), reaction)).toBe(
			true
		);
		const mark = types.reads.get('u1') as { upTo: string; ts: number; sig: string };
		expect(mark.upTo).toBe(sent.id);
		expect(verifies(readSigningBytes('room-1', 'u1', mark, device), mark)).toBe(true);
	});

	it('ignores an empty draft and explains a too long one, writing nothing', () => {
		const { doc, commands } = commandsFor();
		expect(commands.send('   ')).toEqual({ ok: false, error: null });
		const long = commands.send('x'.repeat(21));
		expect(long.ok).toBe(false);
		expect(!long.ok && long.error).toContain('21 of at most 20');
		expect(doc.getArray('messages').length).toBe(0);
	});

	it('edits and deletes only the user’s own live messages', () => {
		const { doc, commands } = commandsFor();
		const sent = commands.send('mine');
		if (!sent.ok) throw new Error('send failed');
		commands.push({ id: crypto.randomUUID(), author: 'u2', text: 'theirs', ts: 1 });
		expect(doc.getArray('messages').length).toBe(1);

		expect(commands.edit(sent.id, 'mine, edited')).toEqual({ ok: true, id: sent.id });
		expect(doc.getMap('changes').get(sent.id)).toMatchObject({ text: 'mine, edited' });
		expect(commands.edit(sent.id, '  ')).toEqual({
			ok: false,
			error: 'A message cannot be empty.'
		});
		expect(commands.remove(sent.id)).toBe(true);
		expect(doc.getMap('changes').get(sent.id)).toMatchObject({ deleted: true });
		expect(commands.edit(sent.id, 'again').ok).toBe(false);
		expect(commands.remove(sent.id)).toBe(false);
	});

	it('toggles the user’s reaction on and off', () => {
		const { doc, commands } = commandsFor();
		const sent = commands.send('react to me');
		if (!sent.ok) throw new Error('send failed');
		commands.toggleReaction(sent.id, '👍');
		expect([...doc.getMap('reactions').keys()]).toEqual([`${sent.id}|👍|u1`]);
		commands.toggleReaction(sent.id, '👍');
		expect(doc.getMap('reactions').size).toBe(0);
	});

	it('marks the last readable message read, past a placeholder, and reacts to no placeholder', () => {
		const { doc, commands, views } = commandsFor();
		const sent = commands.send('readable');
		doc.getArray('messages').push([{ id: '/x', ts: 1e300 }]);
		const placeholder = views().at(-1);
		expect(placeholder?.unreadable).toBe(true);
		commands.markRead(() => true);
		expect(doc.getMap('reads').get('u1')).toMatchObject({ upTo: sent.ok && sent.id });
		commands.toggleReaction(placeholder?.id ?? '', '👍');
		expect(doc.getMap('reactions').size).toBe(0);
	});

	it('writes the read mark at most once per interval, asking again at its end', () => {
		vi.useFakeTimers();
		try {
			const { doc, commands, clock } = commandsFor();
			const first = commands.send('one');
			commands.markRead(() => true);
			expect(doc.getMap('reads').get('u1')).toMatchObject({ upTo: first.ok && first.id });

			const second = commands.send('two');
			let asked = 0;
			commands.markRead(() => {
				asked++;
				return true;
			});
			expect(asked).toBe(0);
			clock.ms = MARK_READ_INTERVAL_MS;
			vi.advanceTimersByTime(MARK_READ_INTERVAL_MS);
			expect(asked).toBe(1);
			expect(doc.getMap('reads').get('u1')).toMatchObject({ upTo: second.ok && second.id });
			commands.destroy();
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('RoomSender', () => {
	/** A replica that records what reaches it; `checkText` as the real one for a 10-char limit. */
	function target(
		status: SendTarget['status'] = 'online',
		room = true
	): SendTarget & { sent: string[]; pushed: ChatMessage[]; typing: boolean[]; probes: number[] } {
		const sent: string[] = [];
		const pushed: ChatMessage[] = [];
		const typing: boolean[] = [];
		const probes: number[] = [];
		return {
			sent,
			pushed,
			typing,
			probes,
			status,
			storageFull: !room,
			hasRoomFor: (bytes) => {
				probes.push(bytes);
				return Promise.resolve(room);
			},
			send: (text) => {
				sent.push(text);
				return { ok: true, id: 'id' };
			},
			checkText: (text) =>
				text.trim().length === 0
					? { ok: false, error: null }
					: text.length > 10
						? { ok: false, error: 'too long' }
						: { ok: true, text: text.trim() },
			push: (message) => pushed.push(message),
			setTyping: (value) => typing.push(value)
		};
	}

	function outbox(): {
		drafts: Array<{ text: string; files: readonly File[]; push: (m: ChatMessage) => void }>;
		send: (draft: {
			text: string;
			files: readonly File[];
			push: (m: ChatMessage) => void;
		}) => Promise<{ ok: true }>;
		resume: () => Promise<void>;
	} {
		const drafts: Array<{ text: string; files: readonly File[]; push: (m: ChatMessage) => void }> =
			[];
		return {
			drafts,
			send: (draft) => {
				drafts.push(draft);
				return Promise.resolve({ ok: true });
			},
			resume: () => Promise.resolve()
		};
	}

	const file = (name: string, size = 3): File => new File(['x'.repeat(size)], name);

	it('sends text alone straight into the replica', async () => {
		const replica = target();
		const box = outbox();
		const sender = new RoomSender({ current: () => replica, outbox: box, maxUploadBytes: 100 });
		expect(await sender.send('hi', [])).toEqual({ ok: true, id: 'id' });
		expect(replica.sent).toEqual(['hi']);
		expect(replica.probes).toEqual([]);
		expect(box.drafts).toHaveLength(0);
	});

	it('offline, keeps a message only if storage has room, and then asks for persistence', async () => {
		const kept: string[] = [];
		const roomy = target('offline');
		const sender = new RoomSender({
			current: () => roomy,
			outbox: outbox(),
			maxUploadBytes: 100,
			keptOffline: () => kept.push('asked')
		});
		expect(await sender.send('hi', [])).toEqual({ ok: true, id: 'id' });
		expect(roomy.probes).toHaveLength(1);
		expect(kept).toEqual(['asked']);

		const full = target('offline', false);
		const refused = await new RoomSender({
			current: () => full,
			outbox: outbox(),
			maxUploadBytes: 100,
			keptOffline: () => kept.push('asked again')
		}).send('hi', []);
		expect(refused).toEqual({ ok: false, error: COULD_NOT_KEEP_OFFLINE });
		expect(full.sent).toEqual([]);
		expect(kept).toEqual(['asked']);
	});

	it('asks the new head for room when a seal closes the replica it was asking (e2e flake)', async () => {
		// During the move to a new head the old replica shows "Connecting…" (so the send asks
		// storage first), and the move destroys it, and deletes its database, meanwhile: its probe
		// fails. The send must still happen, into the new head; it used to reject, and the
		// composer kept the draft without a word.
		const closing = target('connecting');
		const head = target('online');
		let current = closing;
		closing.hasRoomFor = () => {
			current = head;
			return Promise.reject(
				new DOMException('The database connection is closing.', 'InvalidStateError')
			);
		};
		const sender = new RoomSender({
			current: () => current,
			outbox: outbox(),
			maxUploadBytes: 100
		});
		expect(await sender.send('hi', [])).toEqual({ ok: true, id: 'id' });
		expect(head.sent).toEqual(['hi']);
		expect(closing.sent).toEqual([]);

		// A probe that fails for another reason says so (the composer shows it, keeps the draft).
		const broken = target('offline');
		broken.hasRoomFor = () => Promise.reject(new Error('disk on fire'));
		const failed = await new RoomSender({
			current: () => broken,
			outbox: outbox(),
			maxUploadBytes: 100
		}).send('hi', []);
		expect(failed).toEqual({ ok: false, error: STORAGE_DID_NOT_ANSWER });
		expect(broken.sent).toEqual([]);
	});

	it('refuses a too long text or file before queueing anything', async () => {
		const replica = target();
		const box = outbox();
		const sender = new RoomSender({ current: () => replica, outbox: box, maxUploadBytes: 5 });
		expect(await sender.send('x'.repeat(11), [file('a.txt')])).toEqual({
			ok: false,
			error: 'too long'
		});
		const big = await sender.send('ok', [file('big.bin', 6)]);
		expect(big.ok).toBe(false);
		expect(box.drafts).toHaveLength(0);
	});

	it('queues files with their text and pushes into whichever replica is current when they are up', async () => {
		const before = target();
		const after = target();
		let current = before;
		const box = outbox();
		const sender = new RoomSender({ current: () => current, outbox: box, maxUploadBytes: 100 });
		expect((await sender.send('   ', [file('a.txt')])).ok).toBe(true);
		expect(box.drafts[0]?.text).toBe('');
		expect(before.typing).toEqual([false]);
		// A seal swapped the replica while the file uploaded.
		current = after;
		const message = { id: crypto.randomUUID(), author: 'u1', text: '', ts: 1 };
		box.drafts[0]?.push(message);
		expect(after.pushed).toEqual([message]);
		expect(before.pushed).toEqual([]);
	});
});
