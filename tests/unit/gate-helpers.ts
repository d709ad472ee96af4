/**
 * A tiny in-memory "server" around the gate for unit tests: a room doc, the clientID owners,
 * and honest replicas that capture exactly the bytes a y-websocket client would send.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { checkUpdate, type GateOptions, type GateVerdict } from '../../sync-server/gate';

export const LIMITS = { maxMessageChars: 4000, maxUploadBytes: 25 * 1024 * 1024 } as const;

/** The server time every GateServer judges by (rule 2's ts window): 2026-01-01T00:00:00Z. */
export const NOW_MS = Date.UTC(2026, 0, 1);

/** A ts inside the window, for values whose time does not matter to a test. */
export const TS = NOW_MS - 60_000;

export class GateServer {
	readonly doc = new Y.Doc();
	readonly owners = new Map<number, string>();

	/** `options`: the gate's extras, e.g. the sealed-history lookup of a head after a seal. */
	constructor(public options: GateOptions = {}) {}

	/** Runs the gate; applies and claims like the sync server does when it accepts. */
	submit(userId: string, update: Uint8Array): GateVerdict {
		const verdict = checkUpdate(this.doc, { userId }, update, LIMITS, this.owners, new Map(), {
			nowMs: NOW_MS,
			...this.options
		});
		if (verdict.ok) {
			for (const id of verdict.clientIds) if (!this.owners.has(id)) this.owners.set(id, userId);
			Y.applyUpdate(this.doc, verdict.update);
		}
		return verdict;
	}

	/** Submits, as the replica's own user, the update of the change it makes in `change`. */
	submitChange(replica: Replica, change: () => void): GateVerdict {
		return this.submit(replica.userId, capture(replica.doc, change));
	}

	state(): Uint8Array {
		return Y.encodeStateAsUpdate(this.doc);
	}
}

export interface Replica {
	readonly userId: string;
	readonly doc: Y.Doc;
	readonly messages: Y.Array<unknown>;
	readonly changes: Y.Map<unknown>;
	readonly reactions: Y.Map<unknown>;
	readonly reads: Y.Map<unknown>;
}

export function createReplica(userId: string, clientID?: number): Replica {
	const doc = new Y.Doc();
	if (clientID !== undefined) doc.clientID = clientID;
	return {
		userId,
		doc,
		messages: doc.getArray('messages'),
		changes: doc.getMap('changes'),
		reactions: doc.getMap('reactions'),
		reads: doc.getMap('reads')
	};
}

/** What the replica would send after `change`: the update of that one transaction. */
export function capture(doc: Y.Doc, change: () => void): Uint8Array {
	const updates: Uint8Array[] = [];
	const onUpdate = (update: Uint8Array): void => void updates.push(update);
	doc.on('update', onUpdate);
	try {
		doc.transact(change);
	} finally {
		doc.off('update', onUpdate);
	}
	return updates.length === 1 && updates[0] ? updates[0] : Y.mergeUpdates(updates);
}

/** Sync step 2 as a replica answers the server: everything the server lacks, whole delete set. */
export function syncStep2(replica: Replica, server: GateServer): Uint8Array {
	return Y.encodeStateAsUpdate(replica.doc, Y.encodeStateVector(server.doc));
}

/** A fresh replica of `userId` with exactly the server's state (a new tab, say). */
export function freshReplica(userId: string, server: GateServer): Replica {
	const replica = createReplica(userId);
	pull(replica, server);
	return replica;
}

export function pull(replica: Replica, server: GateServer): void {
	Y.applyUpdate(replica.doc, server.state());
}

let counter = 0;
export function message(author: string, text = 'hello', extra: Record<string, unknown> = {}) {
	counter++;
	const id = `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
	return { id, author, text, ts: 1_700_000_000_000 + counter, ...extra };
}

/** Hand-built updates for shapes no honest Yjs API produces. */
export function craftUpdate(
	structs: readonly (Y.Item | Y.GC)[],
	deletes: readonly { client: number; clock: number; len: number }[] = []
): Uint8Array {
	const encoder = new Y.UpdateEncoderV1();
	const groups = new Map<number, (Y.Item | Y.GC)[]>();
	for (const struct of structs) {
		const list = groups.get(struct.id.client) ?? [];
		list.push(struct);
		groups.set(struct.id.client, list);
	}
	encoding.writeVarUint(encoder.restEncoder, groups.size);
	for (const [client, list] of groups) {
		encoding.writeVarUint(encoder.restEncoder, list.length);
		encoder.writeClient(client);
		encoding.writeVarUint(encoder.restEncoder, list[0]?.id.clock ?? 0);
		for (const struct of list) struct.write(encoder, 0);
	}
	const byClient = new Map<number, { clock: number; len: number }[]>();
	for (const { client, clock, len } of deletes) {
		byClient.set(client, [...(byClient.get(client) ?? []), { clock, len }]);
	}
	encoding.writeVarUint(encoder.restEncoder, byClient.size);
	for (const [client, ranges] of byClient) {
		encoding.writeVarUint(encoder.restEncoder, client);
		encoding.writeVarUint(encoder.restEncoder, ranges.length);
		for (const { clock, len } of ranges) {
			encoding.writeVarUint(encoder.restEncoder, clock);
			encoding.writeVarUint(encoder.restEncoder, len);
		}
	}
	return encoder.toUint8Array();
}

/** An item whose parent is a root name (string) or a nested type's ID, as on the wire. */
export function craftItem(options: {
	client: number;
	clock: number;
	origin?: Y.ID | null;
	rightOrigin?: Y.ID | null;
	parent?: string | Y.ID | null;
	parentSub?: string | null;
	content: ConstructorParameters<typeof Y.Item>[7];
}): Y.Item {
	return new Y.Item(
		Y.createID(options.client, options.clock),
		null,
		options.origin ?? null,
		null,
		options.rightOrigin ?? null,
		// The wire format allows a root name here; Item's type only declares what Yjs builds.
		(options.parent ?? null) as Y.ID | null,
		options.parentSub ?? null,
		options.content
	);
}
