/**
 * The in-process Bus: fan-out between Bus instances that share one `InProcessBusHub`. In
 * production there is one instance per process, so it delivers to nobody (one instance needs no
 * fan-out); tests create two room hubs on one bus hub to play two instances in one process.
 * The Redis bus (bus-redis.ts) implements the same interface across processes.
 */
import { randomUUID } from 'node:crypto';
import {
	isControlMessage,
	type Bus,
	type BusMessage,
	type ControlBusMessage,
	type RoomBusMessage,
	type Unsubscribe
} from './types';

/** The shared medium: every InProcessBus created with it hears the others. */
export class InProcessBusHub {
	readonly members = new Set<InProcessBus>();
}

type Handler = (message: RoomBusMessage) => void;

export class InProcessBus implements Bus {
	readonly instanceId = randomUUID();
	readonly #hub: InProcessBusHub;
	readonly #subscribers = new Map<string, Set<Handler>>();
	readonly #resyncHandlers = new Set<() => void>();
	readonly #controlHandlers = new Set<(message: ControlBusMessage) => void>();
	#closed = false;

	constructor(hub: InProcessBusHub = new InProcessBusHub()) {
		this.#hub = hub;
		hub.members.add(this);
	}

	publish(message: BusMessage): void {
		if (this.#closed) return;
		for (const member of this.#hub.members) {
			if (member === this) continue;
			// Asynchronous like a real broker: a publisher never re-enters a subscriber's code.
			queueMicrotask(() => member.#deliver(message));
		}
	}

	/** Effective at once: `onSubscribed` is never needed (nothing published is missed). */
	subscribe(roomId: string, handler: Handler): Unsubscribe {
		let handlers = this.#subscribers.get(roomId);
		if (!handlers) {
			handlers = new Set();
			this.#subscribers.set(roomId, handlers);
		}
		handlers.add(handler);
		return () => {
			handlers.delete(handler);
			if (handlers.size === 0 && this.#subscribers.get(roomId) === handlers) {
				this.#subscribers.delete(roomId);
			}
		};
	}

	onControl(handler: (message: ControlBusMessage) => void): Unsubscribe {
		this.#controlHandlers.add(handler);
		return () => this.#controlHandlers.delete(handler);
	}

	onResync(handler: () => void): Unsubscribe {
		this.#resyncHandlers.add(handler);
		return () => this.#resyncHandlers.delete(handler);
	}

	/** Tells subscribers deliveries may have been missed (what a Redis reconnect does). */
	resync(): void {
		for (const handler of this.#resyncHandlers) handler();
	}

	async close(): Promise<void> {
		this.#closed = true;
		this.#hub.members.delete(this);
		this.#subscribers.clear();
		this.#resyncHandlers.clear();
		this.#controlHandlers.clear();
	}

	#deliver(message: BusMessage): void {
		if (this.#closed) return;
		if (isControlMessage(message)) {
			for (const handler of this.#controlHandlers) handler(message);
			return;
		}
		for (const handler of this.#subscribers.get(message.roomId) ?? []) handler(message);
	}
}
