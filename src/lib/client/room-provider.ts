/**
 * The stock y-websocket provider, joining the other tabs' BroadcastChannel without sending them
 * the whole document. The stock `connectBc` publishes sync step 1 (our state vector) and then
 * sync step 2 with the entire document; for a room of 50,000 messages that step 2 costs about
 * 350 ms of encoding on every page open, to tell the other tabs what they almost always hold
 * already (they load the same IndexedDB replica and hear every later change on the channel).
 *
 * Step 1 alone still brings this tab whatever the open tabs have that it lacks (each answers
 * with a step 2 of the difference). What this tab alone holds reaches them through the server,
 * or as soon as it changes anything (each update goes out on the channel as before).
 *
 * It also names its epoch (docs/design.md, "History segments"): the socket URL carries
 * `?epoch=<e>`, and tabs talk over a channel per epoch, so a tab still holding a sealed epoch's
 * replica never merges it into a tab's new head (nor the other way round).
 */
import type * as Y from 'yjs';
import * as bc from 'lib0/broadcastchannel';
import * as encoding from 'lib0/encoding';
import { encodeAwarenessUpdate, type Awareness } from 'y-protocols/awareness';
import { writeSyncStep1 } from 'y-protocols/sync';
import {
	WebsocketProvider,
	messageAwareness,
	messageQueryAwareness,
	messageSync
} from 'y-websocket';
import { PROTOCOL_VERSION, PROTOCOL_VERSION_PARAM } from '$lib/protocol/wire';

export interface RoomProviderOptions {
	readonly awareness: Awareness;
	/** The epoch of the replica `doc` is. */
	readonly epoch: number;
}

export class RoomProvider extends WebsocketProvider {
	constructor(serverUrl: string, roomId: string, doc: Y.Doc, options: RoomProviderOptions) {
		super(serverUrl, roomId, doc, {
			awareness: options.awareness,
			params: {
				epoch: String(options.epoch),
				[PROTOCOL_VERSION_PARAM]: String(PROTOCOL_VERSION)
			},
			connect: false
		});
		// Epoch 0 keeps the channel tabs used before epochs existed.
		if (options.epoch > 0) this.bcChannel = `${this.bcChannel}#e${options.epoch}`;
		this.connect();
	}

	override connectBc(): void {
		if (this.disableBc) return;
		if (!this.bcconnected) {
			bc.subscribe(this.bcChannel, this._bcSubscriber);
			this.bcconnected = true;
		}
		const sync = encoding.createEncoder();
		encoding.writeVarUint(sync, messageSync);
		writeSyncStep1(sync, this.doc);
		bc.publish(this.bcChannel, encoding.toUint8Array(sync), this);
		// As the stock provider does: ask for the others' presence and announce ours.
		const query = encoding.createEncoder();
		encoding.writeVarUint(query, messageQueryAwareness);
		bc.publish(this.bcChannel, encoding.toUint8Array(query), this);
		const presence = encoding.createEncoder();
		encoding.writeVarUint(presence, messageAwareness);
		encoding.writeVarUint8Array(
			presence,
			encodeAwarenessUpdate(this.awareness, [this.doc.clientID])
		);
		bc.publish(this.bcChannel, encoding.toUint8Array(presence), this);
	}
}
