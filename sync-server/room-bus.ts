/**
 * A room's side of the bus between instances. Out: what is durable (a commit's updates) and
 * awareness changes made here. In: what other instances committed or said, handed to the room
 * with origin 'bus' — never published again nor stored twice (the rule that prevents echo
 * loops between instances).
 */
import type { Durable, CommitRequest } from './commit-log';
import type { Logger } from './logger';
import type { Bus, RoomBusMessage, Unsubscribe } from './types';

/** The commit log's listener that publishes every durable update with its seq. */
export function publishDurable(
	bus: Pick<Bus, 'publish'>
): (entries: readonly Durable<CommitRequest>[]) => void {
	return (entries) => {
		for (const { item, stored } of entries) {
			bus.publish({ kind: 'update', roomId: item.roomId, seq: stored.seq, data: stored.data });
		}
	};
}

/** What a room does with its bus messages. */
export interface RoomBusHandlers {
	/** Another instance committed `data` at `seq`. */
	update(seq: number, data: Uint8Array): void;
	awareness(data: Uint8Array): void;
	/** A membership was revoked elsewhere. */
	revoke(userId: string): void;
	/** The room was sealed elsewhere: its head is now `epoch`. */
	epoch(epoch: number): void;
	/** The subscription took effect late (Redis): read back what was published before. */
	resync(): void;
}

/** A room's subscription: what arrives before `deliverTo` waits, in order. */
export interface RoomSubscription {
	/** From now on (after what waited) messages go to `handlers`. */
	deliverTo(handlers: RoomBusHandlers): void;
	unsubscribe: Unsubscribe;
}

/**
 * Subscribes to a room's channel before its state is read (what is published meanwhile is
 * kept, then applied or skipped by its seq); a handler's failure is logged, never thrown at
 * the bus.
 */
export function subscribeRoom(
	bus: Pick<Bus, 'subscribe'>,
	roomId: string,
	log: Logger
): RoomSubscription {
	let handlers: RoomBusHandlers | null = null;
	const waiting: RoomBusMessage[] = [];
	/** The subscription took effect before the room could read back: it does on `deliverTo`. */
	let resyncOnDelivery = false;
	const deliver = (message: RoomBusMessage): void => {
		if (!handlers) return void waiting.push(message);
		try {
			switch (message.kind) {
				case 'update':
					return handlers.update(message.seq, message.data);
				case 'awareness':
					return handlers.awareness(message.data);
				case 'revoke':
					return handlers.revoke(message.userId);
				case 'epoch':
					return handlers.epoch(message.epoch);
			}
		} catch (error) {
			log.error({ err: error, roomId, kind: message.kind }, 'bus message failed');
		}
	};
	const subscribed = (): void => {
		if (!handlers) return void (resyncOnDelivery = true);
		try {
			handlers.resync();
		} catch (error) {
			log.error({ err: error, roomId }, 'resync after subscribing failed');
		}
	};
	const unsubscribe = bus.subscribe(roomId, deliver, subscribed);
	return {
		deliverTo(target) {
			handlers = target;
			for (const message of waiting.splice(0)) deliver(message);
			if (resyncOnDelivery) {
				resyncOnDelivery = false;
				subscribed();
			}
		},
		unsubscribe
	};
}
