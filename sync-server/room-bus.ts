/**
 * A room's side of the bus between instances. Out: what is durable (a commit's updates) and
 * awareness changes made here. In: what other instances committed or said, handed to the room
 * with origin 'bus' — never published again nor stored twice (the rule that prevents echo
 * loops between instances).
 */
import type { Durable, CommitRequest } from './commit-log';
import type { Logger } from './logger';
import type { Bus, Unsubscribe } from './types';

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
}

/** Subscribes the room to its channel; a handler's failure is logged, never thrown at the bus. */
export function subscribeRoom(
	bus: Pick<Bus, 'subscribe'>,
	roomId: string,
	handlers: RoomBusHandlers,
	log: Logger
): Unsubscribe {
	return bus.subscribe(roomId, (message) => {
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
	});
}
