/**
 * The one owner of this browser's delivery state for one replica (the rules are delivery.ts's):
 * held in memory and mirrored to localStorage, which reloads and the other tabs of this
 * browser share. Other tabs' writes arrive as 'storage' events and are merged in.
 */
import {
	mergeDeliveryStates,
	parseDeliveryState,
	serializeDeliveryState,
	withOwnClient,
	withStoredClocks,
	type DeliveryState
} from './delivery';

export interface DeliveryLedgerOptions {
	/** The localStorage key of this replica's state (epochs.ts `deliveryStorageKey`). */
	readonly storageKey: string;
	readonly storage: Pick<Storage, 'getItem' | 'setItem'>;
	/** Where other tabs' writes are announced ('storage' events): the window. */
	readonly events: Pick<Window, 'addEventListener' | 'removeEventListener'>;
	/** Called when what is stored changed (the views then show other ticks). */
	readonly onChange: () => void;
}

export class DeliveryLedger {
	readonly #options: DeliveryLedgerOptions;
	#state: DeliveryState;
	readonly #onStorage = (event: StorageEvent): void => {
		if (event.key !== this.#options.storageKey) return;
		this.#set(mergeDeliveryStates(this.#state, parseDeliveryState(event.newValue)));
	};

	constructor(options: DeliveryLedgerOptions) {
		this.#options = options;
		this.#state = parseDeliveryState(options.storage.getItem(options.storageKey));
		options.events.addEventListener('storage', this.#onStorage);
	}

	get state(): DeliveryState {
		return this.#state;
	}

	/** The server's STORED receipt: these clocks are committed. */
	recordStored(stored: ReadonlyMap<number, number>): void {
		this.#set(withStoredClocks(this.#state, stored));
	}

	/**
	 * Records a clientID this browser writes messages with, before the first such message, so
	 * it reads as pending from its first render. Known clients cost nothing; a new one is merged
	 * with what localStorage holds now, since another tab may have saved its own clients there
	 * and its 'storage' event may not have arrived yet.
	 */
	addOwnClient(client: number): void {
		if (this.#state.ownClients.has(client)) return;
		const saved = parseDeliveryState(this.#options.storage.getItem(this.#options.storageKey));
		this.#save(withOwnClient(mergeDeliveryStates(this.#state, saved), client));
	}

	destroy(): void {
		this.#options.events.removeEventListener('storage', this.#onStorage);
	}

	#set(next: DeliveryState): void {
		if (next === this.#state) return;
		this.#save(next);
		this.#options.onChange();
	}

	#save(next: DeliveryState): void {
		this.#state = next;
		this.#options.storage.setItem(this.#options.storageKey, serializeDeliveryState(next));
	}
}
