/** A room's side of the bus alone: what is durable goes out with its seq; what comes in is dispatched. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InProcessBus, InProcessBusHub } from '../../sync-server/bus';
import { publishDurable, subscribeRoom } from '../../sync-server/room-bus';
import type { BusMessage } from '../../sync-server/types';

const log = pino({ level: 'silent' });

describe('room bus', () => {
	it('publishes every durable update with its room and seq', () => {
		const published: BusMessage[] = [];
		const data = Uint8Array.of(1, 2);
		publishDurable({ publish: (message) => void published.push(message) })([
			{
				item: { roomId: 'r', epoch: 0, data, clocks: new Map(), clientIds: [] },
				stored: { seq: 7, data }
			}
		]);
		expect(published).toEqual([{ kind: 'update', roomId: 'r', seq: 7, data }]);
	});

	it('keeps what arrives before the room is ready, then hands each kind of message to its handler, surviving a handler that throws', async () => {
		const hub = new InProcessBusHub();
		const here = new InProcessBus(hub);
		const there = new InProcessBus(hub);
		const heard: string[] = [];
		let delivered!: () => void;
		const done = new Promise<void>((resolve) => (delivered = resolve));
		const subscription = subscribeRoom(here, 'r', log);
		there.publish({ kind: 'update', roomId: 'r', seq: 2, data: Uint8Array.of(0, 0) });
		subscription.deliverTo({
			update: (seq: number) => {
				heard.push(`update ${seq}`);
				throw new Error('handler failed');
			},
			awareness: () => void heard.push('awareness'),
			revoke: (userId: string) => void heard.push(`revoke ${userId}`),
			epoch: (epoch: number) => {
				heard.push(`epoch ${epoch}`);
				delivered();
			},
			resync: () => void heard.push('resync')
		});
		there.publish({ kind: 'update', roomId: 'r', seq: 3, data: Uint8Array.of(0, 0) });
		there.publish({ kind: 'awareness', roomId: 'r', data: Uint8Array.of(0) });
		there.publish({ kind: 'revoke', roomId: 'r', userId: 'bob' });
		there.publish({ kind: 'epoch', roomId: 'r', epoch: 2 });
		await done;
		expect(heard).toEqual(['update 2', 'update 3', 'awareness', 'revoke bob', 'epoch 2']);
		await here.close();
		await there.close();
	});

	it('reads back once its subscription takes effect late (Redis), before or after the room is ready', () => {
		const late: (() => void)[] = [];
		const bus = {
			subscribe: (_roomId: string, _handler: unknown, subscribed?: () => void) => {
				if (subscribed) late.push(subscribed);
				return () => undefined;
			}
		};
		const handlers = (heard: string[]) => ({
			update: () => undefined,
			awareness: () => undefined,
			revoke: () => undefined,
			epoch: () => undefined,
			resync: () => void heard.push('resync')
		});
		// Effective while the room still loads: it reads back once it is ready.
		const early: string[] = [];
		const first = subscribeRoom(bus, 'r', log);
		late[0]?.();
		expect(early).toEqual([]);
		first.deliverTo(handlers(early));
		expect(early).toEqual(['resync']);
		// Effective after the room is ready: at once.
		const after: string[] = [];
		const second = subscribeRoom(bus, 's', log);
		second.deliverTo(handlers(after));
		expect(after).toEqual([]);
		late[1]?.();
		expect(after).toEqual(['resync']);
	});
});
