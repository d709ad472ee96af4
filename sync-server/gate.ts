/**
 * The gate: decides whether an incoming Yjs update may touch a room, without touching it.
 * Pure: no I/O, no mutation of the doc (it only reads `doc.store` and `doc.share`).
 * docs/design.md, "The gate", lists the rules this file enforces; keep the two in step.
 *
 * How it works: decode the update, reduce it to what the doc lacks, then resolve where every
 * NEW struct would land (which root, which map key) exactly as Yjs would when integrating it
 * (an item without an explicit parent inherits its origin's parent and key), check its content
 * against the schema of that place, and resolve every range of the delete set against the
 * doc's structs and the update's own to see what it would newly delete.
 *
 * Healing (docs/design.md, "Healing"): every new struct is judged AS ITS CLIENTID'S OWNER.
 * Under the sender's own (or an unclaimed) clientID that is the sender; under another user's
 * clientID it is a relay of that user's work, acceptable only below the clientID's high-water
 * mark (what the server once committed) and only if that user could have sent it.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { GateRule, refusal, refusalText, type Refusal } from '../src/lib/protocol/gate-rules';
import {
	changeSigningBytes,
	messageSigningBytes,
	reactionSigningBytes,
	readSigningBytes
} from '../src/lib/protocol/signatures';
import {
	ARRAY_ROOTS,
	MAP_ROOTS,
	ROOT,
	admissionWindow,
	isUuid,
	parseChange,
	parseMessage,
	parseReaction,
	parseReactionKey,
	parseReadMark,
	type ChatMessage,
	type ReadMark,
	type ItemSignature,
	type SchemaLimits
} from '../src/lib/protocol/schema';

export interface GateSender {
	readonly userId: string;
}

export interface GateLimits {
	readonly maxMessageChars: number;
	/** MAX_UPLOAD_BYTES: the largest file a message may name. */
	readonly maxUploadBytes?: number;
}

/** What the server knows of an upload (table files). */
export interface UploadedFile {
	readonly name: string;
	readonly type: string;
	readonly size: number;
}

/** A registered device, as the gate checks a signature with it (docs/design.md "Signed items"). */
export interface SigningDevice {
	readonly userId: string;
	/** Removed by its owner: what it signs from then on is refused. */
	readonly removed: boolean;
	/** Whether `sig` (base64url) is this device's Ed25519 signature of `bytes`. */
	verify(bytes: Uint8Array, sig: string): boolean;
}

/** Rule 7's inputs. */
export interface SignatureCheck {
	/** The room the items are signed for (the canonical bytes name it). */
	readonly roomId: string;
	/** Refuse items without a signature (REQUIRE_SIGNATURES); false: admit them unsigned. */
	readonly required: boolean;
	/** The device with this id, or undefined (unknown, or not fetched yet: see gate-lookups.ts). */
	readonly deviceOf: (deviceId: string) => SigningDevice | undefined;
}

export interface GateOptions {
	/**
	 * Rule 7: signatures are checked against the authors' devices. Omitted (unit tests of the
	 * other rules): signatures are checked for format only.
	 */
	readonly signatures?: SignatureCheck;
	/**
	 * The author of a message sealed out of the head into history (docs/design.md, "History
	 * segments"), or undefined. Asked only for ids the head does not hold: rule 2 counts a
	 * sealed id as used, rule 4 finds a `changes` key's author there. Omitted for epoch 0.
	 */
	readonly sealedAuthorOf?: (messageId: string) => string | undefined;
	/**
	 * The upload with this id if it belongs to THIS room, else undefined (rule 2: a message
	 * names only this room's files, as uploaded). Omitted: file ids are checked for format only.
	 */
	readonly roomFileOf?: (fileId: string) => UploadedFile | undefined;
	/** Server time in ms (rule 2's ts window); Date.now() when omitted. */
	readonly nowMs?: number;
	/**
	 * The owner archived the room (read-only): rule 2 refuses every new message of the sender's
	 * own (a healing relay of another's was admitted once and is judged as then).
	 */
	readonly archived?: boolean;
	/**
	 * The room's kind of content (docs/design.md "Encrypted rooms"): true, every new message and
	 * edit is encrypted (`enc`, no text); false, none is. Omitted: either is admitted.
	 */
	readonly encrypted?: boolean;
}

/**
 * What an accepted update writes that the room summaries follow (sync-server/summary-feed.ts),
 * as the gate parsed it: no second decode after the commit.
 */
export interface Written {
	/** The last new message in update order, or null. */
	readonly message: ChatMessage | null;
	/** The read marks it writes: the key is the reader's user id. */
	readonly reads: readonly {
		readonly userId: string;
		readonly upTo: string;
		readonly ts: number;
	}[];
}

export type GateVerdict =
	| {
			readonly ok: true;
			/** The Yjs clientIDs this update writes with (the caller claims them for the sender). */
			readonly clientIds: readonly number[];
			/**
			 * The bytes to apply, store and forward: the update reduced to what the doc lacks
			 * (the original bytes when nothing of it was known already).
			 */
			readonly update: Uint8Array;
			/** True when applying it would change nothing (no new struct, no new deletion). */
			readonly noop: boolean;
			/** Ids of the messages this update adds, in update order. */
			readonly messageIds: readonly string[];
			/** Upload ids the new messages name (each once): the commit records them as referenced. */
			readonly fileIds: readonly string[];
			/** How many of them the sender wrote (the rest are relayed: healing). Rule 6 counts these. */
			readonly ownMessageCount: number;
			/**
			 * Per clientID written, the clock after its last new struct: once this update is
			 * committed, the caller raises the clientID's high-water mark to it (table client_ids).
			 */
			readonly clocks: ReadonlyMap<number, number>;
			/** Its last new message and its read marks, for the summaries. */
			readonly written: Written;
	  }
	| {
			readonly ok: false;
			/** Which rule refused it, and why. */
			readonly refusal: Refusal;
			/** The text sent to the client (`rule 2: author must be the sender`): refusalText(refusal). */
			readonly reason: string;
			/**
			 * True when the update builds on changes the server does not have (yet). Not an
			 * offence by itself: an honest client meets it in a race between two sockets. Answer
			 * with the server's sync step 1 and the client re-sends everything the server lacks.
			 */
			readonly resync: boolean;
	  };

/** Where an item lives: a root and, for map roots, the key. */
interface Place {
	readonly root: string;
	readonly key: string | null;
}

/** A refusal travels as an exception inside this module only; checkUpdate turns it into a value. */
class RefusalError extends Error {
	override name = 'RefusalError';
	constructor(
		readonly refusal: Refusal,
		readonly resync = false
	) {
		super(refusalText(refusal));
	}
}

/** @param rule the rule broken; null: the bytes are malformed (no rule). */
function refuse(rule: GateRule | null, reason: string): never {
	throw new RefusalError(refusal(rule, reason));
}

function refuseMissing(reason: string): never {
	throw new RefusalError(refusal(null, reason), true);
}

/**
 * @param owners the room's clientID -> owner claims (rule 5)
 * @param highWater clientID -> the clock up to which the server has ever committed its structs
 *   in this room (client_ids.max_clock). Without it no relay is accepted: every struct under
 *   another user's clientID is a forgery.
 * @param options.sealedAuthorOf the ids of sealed history (rules 2 and 4), for epochs > 0
 */
export function checkUpdate(
	doc: Y.Doc,
	sender: GateSender,
	update: Uint8Array,
	limits: GateLimits,
	owners: ReadonlyMap<number, string>,
	highWater: ReadonlyMap<number, number> = new Map(),
	options: GateOptions = {}
): GateVerdict {
	try {
		return check(doc, sender, update, limits, owners, highWater, options);
	} catch (error) {
		if (error instanceof RefusalError) {
			return { ok: false, refusal: error.refusal, reason: error.message, resync: error.resync };
		}
		// Anything else is bytes Yjs could not read (or a shape it would choke on).
		const malformed = refusal(null, 'malformed update');
		return { ok: false, refusal: malformed, reason: malformed.reason, resync: false };
	}
}

type Decoded = ReturnType<typeof Y.decodeUpdate>;
type Struct = Decoded['structs'][number];

function decode(update: Uint8Array): Decoded {
	try {
		return Y.decodeUpdate(update);
	} catch {
		refuse(null, 'malformed update');
	}
}

function check(
	doc: Y.Doc,
	sender: GateSender,
	original: Uint8Array,
	limits: GateLimits,
	owners: ReadonlyMap<number, string>,
	highWater: ReadonlyMap<number, number>,
	options: GateOptions
): GateVerdict {
	const store = doc.store;
	let update = original;
	let decoded = decode(update);

	// Parts the doc already has are skipped by Yjs; checking them would refuse honest
	// re-sends (e.g. a duplicate message id), so cut them off first. Only when needed:
	// diffUpdate re-encodes the whole update.
	if (decoded.structs.some((s) => s.id.clock < Y.getState(store, s.id.client))) {
		const sv = new Map<number, number>();
		for (const s of decoded.structs) sv.set(s.id.client, Y.getState(store, s.id.client));
		update = Y.diffUpdate(update, Y.encodeStateVector(sv));
		decoded = decode(update);
	}

	const fresh = indexNewStructs(decoded.structs, store);

	// Rule 5, before anything costly: who each clientID's new structs are judged as. Another
	// user's clientID is a relay of their work (healing) only below its high-water mark: the
	// server once committed those clocks, so that user really wrote something there.
	const clientIds = [...fresh.keys()];
	const clocks = new Map<number, number>();
	const actors = new Map<number, GateSender>();
	let relays = false;
	for (const [client, structs] of fresh) {
		const last = structs.at(-1);
		const end = last ? last.id.clock + last.length : 0;
		clocks.set(client, end);
		const owner = owners.get(client);
		if (owner === undefined || owner === sender.userId) {
			actors.set(client, sender);
			continue;
		}
		if (end > (highWater.get(client) ?? 0)) {
			refuse(GateRule.CLIENT_IDS, `clientID ${client} belongs to another user`);
		}
		actors.set(client, { userId: owner });
		relays = true;
	}
	const actorOf = (item: Y.Item): GateSender => actors.get(item.id.client) ?? sender;

	const rootNames = new Map<unknown, string>();
	for (const [name, type] of doc.share) rootNames.set(type, name);
	const places = new PlaceResolver(store, fresh, rootNames);
	const messages = new MessageLookup(doc, options.sealedAuthorOf);
	const schema = schemaLimitsOf(limits, options);

	// First the new messages, so `changes` keys in the same update can refer to them.
	const items: { item: Y.Item; place: Place }[] = [];
	for (const structs of fresh.values()) {
		for (const item of structs) items.push({ item, place: places.placeOf(item) });
	}
	const newMessageAuthors = new Map<string, string>();
	const fileIds = new Set<string>();
	let ownMessageCount = 0;
	let lastMessage: ChatMessage | null = null;
	const reads: Written['reads'][number][] = [];
	for (const { item, place } of items) {
		if (!ARRAY_ROOTS.has(place.root)) continue;
		if (place.key !== null) refuse(GateRule.ROOTS, 'messages holds a list, not keys');
		const content = item.content;
		if (content instanceof Y.ContentDeleted)
			refuse(GateRule.NO_DELETES, 'messages are never deleted');
		if (!(content instanceof Y.ContentAny)) refuse(GateRule.ROOTS, 'messages hold plain JSON only');
		const actor = actorOf(item);
		if (options.archived === true && actor === sender) {
			refuse(GateRule.MESSAGES, 'the room is archived');
		}
		for (const value of content.arr) {
			const message = checkMessage(value, actor, actor !== sender, schema, options.roomFileOf);
			checkEncryption(options.encrypted, message.enc !== undefined, GateRule.MESSAGES, 'message');
			if (options.signatures) {
				const check = options.signatures;
				checkSignature(check, actor, message.signature, 'a message', (device) =>
					messageSigningBytes(check.roomId, message, device)
				);
			}
			if (newMessageAuthors.has(message.id) || messages.authorOf(message.id) !== undefined) {
				refuse(GateRule.MESSAGES, 'message id already used');
			}
			newMessageAuthors.set(message.id, message.author);
			lastMessage = message;
			for (const file of message.files ?? []) fileIds.add(file.id);
			if (actor === sender) ownMessageCount++;
		}
	}
	const authorOf = (messageId: string): string | undefined =>
		newMessageAuthors.get(messageId) ?? messages.authorOf(messageId);

	for (const { item, place } of items) {
		if (!MAP_ROOTS.has(place.root)) continue;
		if (place.key === null) refuse(GateRule.ROOTS, `${place.root} holds keys, not a list`);
		checkKeyOwner(place.root, place.key, actorOf(item), authorOf);
		const content = item.content;
		// A deleted item is a deletion of this key's value: allowed to the key's owner.
		if (content instanceof Y.ContentDeleted) continue;
		if (!(content instanceof Y.ContentAny))
			refuse(GateRule.ROOTS, `${place.root} holds plain JSON only`);
		for (const value of content.arr) {
			const mark = checkMapValue(place.root, place.key, value, schema, actorOf(item), options);
			if (mark) reads.push({ userId: place.key, upTo: mark.upTo, ts: mark.ts });
		}
	}

	// Rules 3 and 4 for the delete set: only what it would NEWLY delete counts. Honest
	// clients send their whole delete set on sync, including others' earlier deletions.
	// In a relay (healing), a deletion of a key the sender does not own is left out of the
	// update instead of refused: a healing replica always carries the others' deletions and no
	// honest client could split them off. The delete set carries no author, so the server
	// cannot tell them from forged ones; the owner's own next sync brings the true ones. (An
	// overwrite needs no deletion to be applied: Yjs deletes a key's previous value itself.)
	const mayDelete = (place: Place): 'yes' | 'strip' => {
		if (ARRAY_ROOTS.has(place.root)) refuse(GateRule.NO_DELETES, 'messages are never deleted');
		if (place.key === null) refuse(GateRule.ROOTS, `${place.root} holds keys, not a list`);
		if (!relays) {
			checkKeyOwner(place.root, place.key, sender, authorOf);
			return 'yes';
		}
		return ownsKey(place.root, place.key, sender, authorOf) ? 'yes' : 'strip';
	};
	const stripped = new Map<number, { clock: number; end: number }[]>();
	const strip = (client: number, struct: Y.Item | Y.GC, from: number, to: number): void => {
		const clock = Math.max(from, struct.id.clock);
		const end = Math.min(to, struct.id.clock + struct.length);
		let list = stripped.get(client);
		if (!list) stripped.set(client, (list = []));
		const previous = list.at(-1);
		if (previous && previous.end === clock) previous.end = end;
		else list.push({ clock, end });
	};
	let deletesSomething = false;
	for (const [client, ranges] of decoded.ds.clients) {
		const state = Y.getState(store, client);
		const known = store.clients.get(client) ?? [];
		const added = fresh.get(client) ?? [];
		const last = added.at(-1);
		const knownEnd = last ? last.id.clock + last.length : state;
		let previousEnd = 0;
		for (const { clock, len } of ranges) {
			// Yjs never writes an empty range, and applying one past its state throws mid-transaction.
			if (!(len > 0)) refuse(null, 'malformed update: an empty delete range');
			// Yjs writes each client's ranges sorted and merged. Overlapping ones would make this
			// loop (and Yjs's own) quadratic: a cheap way to burn the server's CPU.
			if (clock < previousEnd) refuse(null, 'malformed update: delete ranges out of order');
			const end = clock + len;
			previousEnd = end;
			if (end > knownEnd) refuseMissing('delete set covers changes the server does not have');
			if (clock < state) {
				const stop = Math.min(end, state);
				for (let i = Y.findIndexSS(known, clock); i < known.length; i++) {
					const struct = known[i];
					if (struct === undefined || struct.id.clock >= stop) break;
					if (!(struct instanceof Y.Item) || struct.deleted) continue;
					if (mayDelete(places.placeOfDocItem(struct)) === 'strip') {
						strip(client, struct, clock, stop);
						continue;
					}
					deletesSomething = true;
				}
			}
			if (end > state) {
				for (let i = firstEndingAfter(added, clock); i < added.length; i++) {
					const item = added[i];
					if (item === undefined || item.id.clock >= end) break;
					if (mayDelete(places.placeOf(item)) === 'strip') {
						strip(client, item, clock, end);
						continue;
					}
					deletesSomething = true;
				}
			}
		}
	}

	if (stripped.size > 0) update = withDeleteSet(update, subtract(decoded.ds, stripped));

	return {
		ok: true,
		clientIds,
		update,
		noop: items.length === 0 && !deletesSomething,
		messageIds: [...newMessageAuthors.keys()],
		fileIds: [...fileIds],
		ownMessageCount,
		clocks,
		written: { message: lastMessage, reads }
	};
}

type DeleteRanges = Map<number, { clock: number; len: number }[]>;

/** The delete set minus the stripped intervals (both sorted by clock per client). */
function subtract(
	ds: Decoded['ds'],
	stripped: ReadonlyMap<number, readonly { clock: number; end: number }[]>
): DeleteRanges {
	const kept: DeleteRanges = new Map();
	for (const [client, ranges] of ds.clients) {
		const cuts = stripped.get(client) ?? [];
		const out: { clock: number; len: number }[] = [];
		let c = 0;
		for (const { clock, len } of ranges) {
			let start = clock;
			const end = clock + len;
			while (c < cuts.length && (cuts[c]?.end ?? 0) <= start) c++;
			for (let i = c; i < cuts.length; i++) {
				const cut = cuts[i];
				if (cut === undefined || cut.clock >= end) break;
				if (cut.clock > start) out.push({ clock: start, len: cut.clock - start });
				start = Math.max(start, cut.end);
			}
			if (end > start) out.push({ clock: start, len: end - start });
		}
		if (out.length > 0) kept.set(client, out);
	}
	return kept;
}

/** The V1 delete set encoding, exactly as Yjs writes it (clients in descending order). */
function encodeDeleteSet(ds: ReadonlyMap<number, readonly { clock: number; len: number }[]>) {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, ds.size);
	for (const [client, ranges] of [...ds].sort((a, b) => b[0] - a[0])) {
		encoding.writeVarUint(encoder, client);
		encoding.writeVarUint(encoder, ranges.length);
		for (const { clock, len } of ranges) {
			encoding.writeVarUint(encoder, clock);
			encoding.writeVarUint(encoder, len);
		}
	}
	return encoding.toUint8Array(encoder);
}

/**
 * The same structs with another delete set. A V1 update is its structs followed by its delete
 * set, so re-encode it canonically (Yjs's own writer), cut the delete set off the end and append
 * the new one.
 */
function withDeleteSet(update: Uint8Array, ds: DeleteRanges): Uint8Array {
	const canonical = Y.diffUpdate(update, Y.encodeStateVector(new Map()));
	const old = encodeDeleteSet(Y.decodeUpdate(canonical).ds.clients);
	const head = canonical.length - old.length;
	if (head < 0 || !old.every((byte, i) => canonical[head + i] === byte))
		refuse(null, 'malformed update');
	const tail = encodeDeleteSet(ds);
	const result = new Uint8Array(head + tail.length);
	result.set(canonical.subarray(0, head));
	result.set(tail, head);
	return result;
}

/**
 * The update's new structs per client, in clock order. Each client's structs must follow
 * the doc's state without gaps: Yjs would park anything else as pending, unchecked.
 */
function indexNewStructs(structs: readonly Struct[], store: Y.Doc['store']): Map<number, Y.Item[]> {
	const fresh = new Map<number, Y.Item[]>();
	const nextClock = new Map<number, number>();
	let previousClient: number | undefined;
	for (const struct of structs) {
		const client = struct.id.client;
		const state = Y.getState(store, client);
		if (struct.id.clock + struct.length <= state) continue; // known; only left when not diffed
		const expected = nextClock.get(client);
		if (expected === undefined) {
			if (client !== previousClient && fresh.has(client)) refuse(null, 'malformed update');
			if (struct.id.clock > state) {
				refuseMissing('update depends on changes the server does not have');
			}
		} else if (client !== previousClient || struct.id.clock !== expected) {
			refuse(null, 'malformed update');
		}
		previousClient = client;
		nextClock.set(client, struct.id.clock + struct.length);
		if (struct instanceof Y.Skip)
			refuseMissing('update depends on changes the server does not have');
		if (!(struct instanceof Y.Item))
			refuse(GateRule.ROOTS, 'garbage-collected structs are not accepted');
		if (struct.length <= 0) refuse(null, 'malformed update');
		let list = fresh.get(client);
		if (!list) fresh.set(client, (list = []));
		list.push(struct);
	}
	return fresh;
}

/**
 * Finds the place (root + key) of an item as Yjs would when integrating it: an explicit
 * parent (root name, or a nested type's ID, which we refuse), else the place of its origin
 * (left neighbour), else of its right origin. Origins may be in the doc or in the update.
 */
class PlaceResolver {
	private readonly memo = new Map<Y.Item, Place>();

	constructor(
		private readonly store: Y.Doc['store'],
		private readonly fresh: ReadonlyMap<number, readonly Y.Item[]>,
		private readonly rootNames: ReadonlyMap<unknown, string>
	) {}

	placeOf(item: Y.Item): Place {
		const place = this.follow(item);
		// Both neighbours must live in the same place, or Yjs would link structs across types.
		if (item.origin !== null && item.rightOrigin !== null) {
			const right = this.placeOfId(item.rightOrigin, item);
			if (right.root !== place.root || right.key !== place.key) {
				refuse(GateRule.ROOTS, 'an item between two different places');
			}
		}
		return place;
	}

	placeOfDocItem(item: Y.Item): Place {
		const root = this.rootNames.get(item.parent);
		if (root === undefined) refuse(GateRule.ROOTS, 'nested or unknown types are not accepted');
		return { root, key: item.parentSub };
	}

	/** Iterative, so a long (or hostile) chain of origins cannot overflow the stack. */
	private follow(start: Y.Item): Place {
		const chain: Y.Item[] = [];
		const seen = new Set<Y.Item>();
		let current = start;
		let place: Place;
		for (;;) {
			const known = this.memo.get(current);
			if (known) {
				place = known;
				break;
			}
			if (seen.has(current)) refuse(null, 'malformed update: origins form a cycle');
			seen.add(current);
			chain.push(current);
			const parent: unknown = current.parent;
			if (typeof parent === 'string') {
				if (!ARRAY_ROOTS.has(parent) && !MAP_ROOTS.has(parent)) {
					refuse(GateRule.ROOTS, `unknown root "${parent.slice(0, 40)}"`);
				}
				place = { root: parent, key: current.parentSub };
				break;
			}
			if (parent !== null) refuse(GateRule.ROOTS, 'nested types are not accepted');
			const ref = current.origin ?? current.rightOrigin;
			if (ref === null) refuse(null, 'malformed update');
			const target = this.structAt(ref, current);
			if (target.inDoc) {
				place = this.placeOfDocItem(target.item);
				break;
			}
			current = target.item;
		}
		for (const item of chain) this.memo.set(item, place);
		return place;
	}

	private placeOfId(id: Y.ID, from: Y.Item): Place {
		const target = this.structAt(id, from);
		return target.inDoc ? this.placeOfDocItem(target.item) : this.follow(target.item);
	}

	private structAt(id: Y.ID, from: Y.Item): { item: Y.Item; inDoc: boolean } {
		if (id.client === from.id.client && id.clock >= from.id.clock) {
			refuse(null, 'malformed update: an origin after its item');
		}
		if (id.clock < Y.getState(this.store, id.client)) {
			const struct = Y.getItem(this.store, id) as Y.Item | Y.GC;
			// Yjs turns an item next to collected garbage into garbage: no honest client does this.
			if (!(struct instanceof Y.Item))
				refuse(GateRule.ROOTS, 'an item next to garbage-collected structs');
			return { item: struct, inDoc: true };
		}
		const list = this.fresh.get(id.client);
		if (list) {
			const item = findContaining(list, id.clock);
			if (item) return { item, inDoc: false };
		}
		refuseMissing('update depends on changes the server does not have');
	}
}

/** The index of the first item that ends after `clock` (list sorted by clock, contiguous). */
function firstEndingAfter(list: readonly Y.Item[], clock: number): number {
	let low = 0;
	let high = list.length;
	while (low < high) {
		const middle = (low + high) >> 1;
		const item = list[middle];
		if (item !== undefined && item.id.clock + item.length <= clock) low = middle + 1;
		else high = middle;
	}
	return low;
}

function findContaining(list: readonly Y.Item[], clock: number): Y.Item | undefined {
	let low = 0;
	let high = list.length - 1;
	while (low <= high) {
		const middle = (low + high) >> 1;
		const item = list[middle];
		if (item === undefined) return undefined;
		if (clock < item.id.clock) high = middle - 1;
		else if (clock >= item.id.clock + item.length) low = middle + 1;
		else return item;
	}
	return undefined;
}

function ownsKey(
	root: string,
	key: string,
	user: GateSender,
	authorOf: (messageId: string) => string | undefined
): boolean {
	try {
		checkKeyOwner(root, key, user, authorOf);
		return true;
	} catch (error) {
		if (error instanceof RefusalError) return false;
		throw error;
	}
}

/** Rule 4: each map key has exactly one owner, readable from the key itself. */
function checkKeyOwner(
	root: string,
	key: string,
	sender: GateSender,
	authorOf: (messageId: string) => string | undefined
): void {
	switch (root) {
		case ROOT.changes:
			if (!isUuid(key) || authorOf(key) !== sender.userId) {
				refuse(GateRule.OWNED_KEYS, 'only a message’s author may change it');
			}
			return;
		case ROOT.reactions: {
			const parsed = parseReactionKey(key);
			if (!parsed.ok) refuse(GateRule.OWNED_KEYS, `${parsed.reason}`);
			if (parsed.value.userId !== sender.userId)
				refuse(GateRule.OWNED_KEYS, 'react only as yourself');
			return;
		}
		case ROOT.reads:
			if (key !== sender.userId) refuse(GateRule.OWNED_KEYS, 'write only your own read receipt');
			return;
		default:
			refuse(GateRule.ROOTS, `unknown root "${root}"`);
	}
}

/** The schema's bounds at this server's time and configuration. */
function schemaLimitsOf(limits: GateLimits, options: GateOptions): SchemaLimits {
	return {
		window: admissionWindow(options.nowMs ?? Date.now()),
		maxMessageChars: limits.maxMessageChars,
		maxUploadBytes: limits.maxUploadBytes ?? Number.MAX_SAFE_INTEGER
	};
}

/** Rule 2, for a message written by `sender` (or relayed on its behalf). */
function checkMessage(
	value: unknown,
	sender: GateSender,
	relayed: boolean,
	limits: SchemaLimits,
	roomFileOf: GateOptions['roomFileOf']
): ChatMessage {
	const parsed = parseMessage(value, limits);
	if (!parsed.ok) refuse(GateRule.MESSAGES, parsed.reason);
	const { author, files } = parsed.value;
	if (author !== sender.userId) {
		refuse(
			GateRule.MESSAGES,
			relayed ? 'author must be the owner of the relayed clientID' : 'author must be the sender'
		);
	}
	if (roomFileOf && files) {
		for (const file of files) {
			const uploaded = roomFileOf(file.id);
			if (!uploaded) refuse(GateRule.MESSAGES, 'a file id names a file uploaded to this room');
			if (
				uploaded.name !== file.name ||
				uploaded.type !== file.type ||
				uploaded.size !== file.size
			) {
				refuse(GateRule.MESSAGES, 'a file’s name, type and size are its upload’s');
			}
		}
	}
	return parsed.value;
}

/** Rules 2 and 4: an encrypted room's messages and edits are encrypted, a plain room's are not. */
function checkEncryption(
	roomEncrypted: boolean | undefined,
	itemEncrypted: boolean,
	rule: GateRule,
	what: 'message' | 'edit'
): void {
	if (roomEncrypted === undefined || roomEncrypted === itemEncrypted) return;
	refuse(
		rule,
		roomEncrypted
			? `an encrypted room’s ${what} is encrypted`
			: `a plain room’s ${what} is not encrypted`
	);
}

/**
 * Rule 7: an item is signed by an active device of its author (the key's owner for map
 * values), and the signature verifies over the item's canonical bytes for this room.
 */
function checkSignature(
	check: SignatureCheck,
	author: GateSender,
	signature: ItemSignature | undefined,
	what: string,
	bytesFor: (device: string) => Uint8Array
): void {
	if (signature === undefined) {
		if (check.required) refuse(GateRule.SIGNATURES, `${what} must be signed`);
		return;
	}
	const device = check.deviceOf(signature.device);
	if (device === undefined || device.userId !== author.userId) {
		refuse(GateRule.SIGNATURES, `${what} is signed by a device of its author`);
	}
	if (device.removed) refuse(GateRule.SIGNATURES, `${what} is signed by a removed device`);
	if (!device.verify(bytesFor(signature.device), signature.sig)) {
		refuse(GateRule.SIGNATURES, `${what}’s signature does not verify`);
	}
}

/**
 * A map value: its schema (rule 4, or 2 for text), then its signature (rule 7). Answers a read
 * mark's value (the summaries follow them), null for the other roots.
 */
function checkMapValue(
	root: string,
	key: string,
	value: unknown,
	limits: SchemaLimits,
	owner: GateSender,
	options: GateOptions
): ReadMark | null {
	const { signatures } = options;
	const failed = (reason: string): never =>
		// An edit longer than the limit is the message text rule (rule 2).
		refuse(reason.startsWith('message text') ? GateRule.MESSAGES : GateRule.OWNED_KEYS, reason);
	switch (root) {
		case ROOT.changes: {
			const parsed = parseChange(value, limits);
			const item = parsed.ok ? parsed.value : failed(parsed.reason);
			// A delete carries no content: it is the same in both kinds of room.
			if (item.deleted !== true) {
				checkEncryption(options.encrypted, item.enc !== undefined, GateRule.OWNED_KEYS, 'edit');
			}
			if (signatures) {
				checkSignature(signatures, owner, item.signature, 'a change', (device) =>
					changeSigningBytes(signatures.roomId, key, owner.userId, item, device)
				);
			}
			return null;
		}
		case ROOT.reactions: {
			const parsed = parseReaction(value, limits);
			const item = parsed.ok ? parsed.value : failed(parsed.reason);
			if (signatures) {
				checkSignature(signatures, owner, item.signature, 'a reaction', (device) =>
					reactionSigningBytes(signatures.roomId, key, item.ts, device)
				);
			}
			return null;
		}
		case ROOT.reads: {
			const parsed = parseReadMark(value, limits);
			const item = parsed.ok ? parsed.value : failed(parsed.reason);
			if (signatures) {
				checkSignature(signatures, owner, item.signature, 'a read mark', (device) =>
					readSigningBytes(signatures.roomId, key, item, device)
				);
			}
			return item;
		}
		default:
			refuse(GateRule.ROOTS, `unknown root "${root}"`);
	}
}

/**
 * id -> author of every message in a doc, kept per doc and brought up to date by scanning
 * only the structs added since the last scan (the hot path must not walk the whole room).
 */
interface MessageIndex {
	readonly authors: Map<string, string>;
	/** Per clientID, the clock up to which structs have been scanned. */
	readonly scanned: Map<number, number>;
}

const indexes = new WeakMap<Y.Doc, MessageIndex>();

class MessageLookup {
	private index: MessageIndex | undefined;

	constructor(
		private readonly doc: Y.Doc,
		private readonly sealedAuthorOf?: (messageId: string) => string | undefined
	) {}

	/** The head's index first (in memory); then, after a seal, the sealed ids (one query). */
	authorOf(messageId: string): string | undefined {
		this.index ??= refreshIndex(this.doc);
		return this.index.authors.get(messageId) ?? this.sealedAuthorOf?.(messageId);
	}
}

function refreshIndex(doc: Y.Doc): MessageIndex {
	let index = indexes.get(doc);
	if (!index) indexes.set(doc, (index = { authors: new Map(), scanned: new Map() }));
	const messagesType: unknown = doc.share.get(ROOT.messages);
	for (const [client, structs] of doc.store.clients) {
		const last = structs.at(-1);
		if (!last) continue;
		const end = last.id.clock + last.length;
		const from = index.scanned.get(client) ?? 0;
		if (end <= from) continue;
		index.scanned.set(client, end);
		if (messagesType === undefined) continue;
		for (let i = from === 0 ? 0 : Y.findIndexSS(structs, from); i < structs.length; i++) {
			const struct = structs[i];
			if (!(struct instanceof Y.Item) || struct.parent !== messagesType) continue;
			if (!(struct.content instanceof Y.ContentAny)) continue;
			const values = struct.content.arr.slice(Math.max(0, from - struct.id.clock));
			for (const value of values) {
				if (typeof value !== 'object' || value === null) continue;
				const { id, author } = value as { id?: unknown; author?: unknown };
				if (typeof id === 'string' && typeof author === 'string') index.authors.set(id, author);
			}
		}
	}
	return index;
}
