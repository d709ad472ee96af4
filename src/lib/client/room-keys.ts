/**
 * This device's sender keys for one encrypted room (docs/design.md "Encrypted rooms"; the
 * cryptography is src/lib/protocol/sender-keys.ts). It keeps, in IndexedDB:
 * - the room's **outbound session** of this device: what its messages and edits are encrypted
 *   with, and to which members and devices it was shared;
 * - the **inbound sessions** it was given (its own included): what it opens others' with.
 *
 * Encrypting and opening are synchronous (they run inside a send and a render); sharing and
 * reading the inbox are the network's and run in `sync` and `readInbox`. Offline, a device
 * encrypts with its session as usual; the session is shared when it is online again.
 *
 * Rotation: a new outbound session when the room's member set differs from the one the session
 * was made for (a member left, was removed or joined: a new member reads from their join on), after
 * SESSION_MAX_MESSAGES messages or SESSION_MAX_AGE_MS. A new device of a member gets the current
 * session from its start; the user's own new device also gets every session its other devices hold
 * for the room (forwarded), so it reads the same history.
 */
import { decodeBase64urlIgnorePadding } from '@oslojs/encoding';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeKeyText, type PublishedDevice } from '../protocol/device-keys';
import type { ChatMessage, MessageChange } from '../protocol/schema';
import { fileKeysOf, type FileKey } from '../protocol/file-crypto';
import {
	SESSION_MAX_AGE_MS,
	SESSION_MAX_MESSAGES,
	createSession,
	decryptItem,
	encryptItem,
	openShare,
	sealShare,
	shareSigningBytes,
	type ItemContext,
	type KeyShare,
	type SessionState
} from '../protocol/sender-keys';
import { decodePayload, encodePayload } from '../protocol/payload';
import { agreeWithDevice, ensureDeviceKeys, signWithDevice, type DeviceKeys } from './device-keys';
import { requestResult } from './local-replica';

/** Why an encrypted item is not shown: no key for it yet, or it fails authentication. */
export type LockReason = 'no-key' | 'tampered';
export type Opened<T> =
	{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: LockReason };

/**
 * A decrypted payload's content: `{ text }` (before attachments) or `{ text, files }` (a
 * message's encrypted attachments; an edit's are ignored), or null without a text (the
 * message then reads as tampered). A `files` entry without the form is left out alone.
 */
export function openedPayload(payload: unknown, kind: 'message' | 'change'): OpenedMessage | null {
	if (typeof payload !== 'object' || payload === null) return null;
	const { text, files } = payload as { text?: unknown; files?: unknown };
	if (typeof text !== 'string') return null;
	if (kind === 'change' || files === undefined) return { text };
	return { text, files: fileKeysOf(files) };
}

/** What the views and commands need of a room's keys (RoomReplica's `codec`). */
/**
 * An opened message: its text and, for a message with encrypted attachments, each file's real
 * name, type, size and key (file-crypto.ts), by upload id.
 */
export interface OpenedMessage {
	readonly text: string;
	readonly files?: readonly FileKey[];
}

export interface ContentCodec {
	/** Seals the text and, when given, the attachments' keys (the payload `{ text, files }`). */
	sealMessage(message: ChatMessage, files?: readonly FileKey[]): ChatMessage;
	sealEdit(messageId: string, change: MessageChange): MessageChange;
	openMessage(message: ChatMessage): Opened<OpenedMessage>;
	openChange(messageId: string, author: string, change: MessageChange): Opened<{ text: string }>;
	/** Grows whenever keys arrive: what could not be opened may open now. */
	readonly version: number;
}

interface Outbound {
	readonly roomId: string;
	readonly state: SessionState;
	/** The session's first state, shared with every device it is shared with. */
	readonly start: SessionState;
	readonly createdAt: number;
	/**
	 * The member user ids the session was made for, sorted; null when made offline before the
	 * members were known (the next sync adopts them instead of rotating).
	 */
	readonly members: readonly string[] | null;
	/** Devices it was shared with (this one included). */
	readonly sharedWith: readonly string[];
}

interface Inbound {
	/** `${roomId}|${sessionId}` */
	readonly id: string;
	readonly roomId: string;
	readonly state: SessionState;
	readonly senderUser: string;
	readonly senderDevice: string;
	/** Own devices it was forwarded to. */
	readonly forwardedTo: readonly string[];
}

const OUTBOUND = 'outbound';
const INBOUND = 'inbound';

export function keysDatabaseName(userId: string): string {
	return `parley-room-keys:${userId}`;
}

async function openDatabase(userId: string): Promise<IDBDatabase> {
	const open = indexedDB.open(keysDatabaseName(userId), 1);
	open.onupgradeneeded = () => {
		open.result.createObjectStore(OUTBOUND, { keyPath: 'roomId' });
		open.result.createObjectStore(INBOUND, { keyPath: 'id' }).createIndex('room', 'roomId');
	};
	return requestResult(open);
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const sameList = (a: readonly string[], b: readonly string[]) =>
	a.length === b.length && a.every((value, i) => value === b[i]);

/** Requests the API in JSON; null when it cannot be reached or refuses. */
async function getJson<T>(path: string): Promise<T | null> {
	try {
		const response = await fetch(path);
		return response.ok ? ((await response.json()) as T) : null;
	} catch {
		return null;
	}
}

async function postJson(path: string, body: unknown): Promise<boolean> {
	try {
		const response = await fetch(path, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});
		return response.ok;
	} catch {
		return false;
	}
}

/** Key shares one request carries (the API's MAX_TO_DEVICE_PER_REQUEST). */
const SHARES_PER_REQUEST = 32;

export class RoomKeys implements ContentCodec {
	version = 0;
	readonly #userId: string;
	readonly #roomId: string;
	readonly #device: DeviceKeys;
	readonly #db: IDBDatabase;
	#outbound: Outbound | null;
	readonly #inbound = new Map<string, Inbound>();
	/** Results of opening, by ciphertext; "no-key" ones are dropped when keys arrive. */
	readonly #opened = new Map<string, Opened<OpenedMessage>>();
	readonly #onKeys: () => void;
	#devicesOf = new Map<string, PublishedDevice[]>();
	/** Sessions an item needed and this device lacked: `onMissingKey` runs once for each. */
	readonly #missing = new Set<string>();
	/**
	 * Runs (after the render that found it) when an item needs a session this device has not
	 * got: its share may be waiting in the inbox already (the room page reads it at once).
	 */
	onMissingKey: (() => void) | null = null;

	private constructor(
		userId: string,
		roomId: string,
		device: DeviceKeys,
		db: IDBDatabase,
		outbound: Outbound | null,
		inbound: readonly Inbound[],
		onKeys: () => void
	) {
		this.#userId = userId;
		this.#roomId = roomId;
		this.#device = device;
		this.#db = db;
		this.#outbound = outbound;
		for (const session of inbound) this.#inbound.set(session.id, session);
		this.#onKeys = onKeys;
	}

	/** The room's keys as this device stored them; `onKeys` runs when new ones arrive. */
	static async open(
		userId: string,
		roomId: string,
		device: DeviceKeys,
		onKeys: () => void
	): Promise<RoomKeys> {
		const db = await openDatabase(userId);
		const tx = db.transaction([OUTBOUND, INBOUND], 'readonly');
		const outbound = (await requestResult(tx.objectStore(OUTBOUND).get(roomId))) as
			Outbound | undefined;
		const inbound = (await requestResult(
			tx.objectStore(INBOUND).index('room').getAll(roomId)
		)) as Inbound[];
		return new RoomKeys(userId, roomId, device, db, outbound ?? null, inbound, onKeys);
	}

	close(): void {
		this.#db.close();
	}

	// Encrypting (synchronous: a send writes its message at once, online or not)

	sealMessage(message: ChatMessage, fileKeys?: readonly FileKey[]): ChatMessage {
		const { text } = message;
		const enc = this.#encrypt(
			{ roomId: this.#roomId, kind: 'message', itemId: message.id, author: message.author },
			fileKeys === undefined || fileKeys.length === 0 ? { text } : { text, files: fileKeys }
		);
		const { id, author, ts, replyTo, files } = message;
		return {
			id,
			author,
			text: '',
			ts,
			...(replyTo === undefined ? {} : { replyTo }),
			...(files === undefined ? {} : { files }),
			enc
		};
	}

	sealEdit(messageId: string, change: MessageChange): MessageChange {
		if (change.deleted === true || change.text === undefined)
			return { deleted: true, ts: change.ts };
		const enc = this.#encrypt(
			{ roomId: this.#roomId, kind: 'change', itemId: messageId, author: this.#userId },
			{ text: change.text }
		);
		return { ts: change.ts, enc };
	}

	#encrypt(context: ItemContext, payload: { text: string; files?: readonly FileKey[] }): string {
		const outbound = this.#currentOutbound();
		const { enc, next } = encryptItem(outbound.state, context, encodePayload(payload), random(24));
		this.#outbound = { ...outbound, state: next };
		this.#putOutbound();
		return enc;
	}

	/** The outbound session to encrypt with: a new one once the current one is used up or old. */
	#currentOutbound(members?: readonly string[]): Outbound {
		const current = this.#outbound;
		const changed =
			members !== undefined && current?.members != null && !sameList(current.members, members);
		const expired =
			current === null ||
			current.state.index >= SESSION_MAX_MESSAGES ||
			Date.now() - current.createdAt > SESSION_MAX_AGE_MS ||
			changed;
		if (!expired) {
			if (members !== undefined && current.members === null) {
				this.#outbound = { ...current, members };
				this.#putOutbound();
				return this.#outbound;
			}
			return current;
		}
		const start = createSession(random(48));
		const outbound: Outbound = {
			roomId: this.#roomId,
			state: start,
			start,
			createdAt: Date.now(),
			members: members ?? current?.members ?? null,
			sharedWith: [this.#device.deviceId]
		};
		this.#outbound = outbound;
		// This device reads its own messages with the same session.
		this.#addInbound(
			{ roomId: this.#roomId, sessionId: start.sessionId, index: 0, chainKey: start.chainKey },
			this.#userId,
			this.#device.deviceId
		);
		this.#putOutbound();
		return outbound;
	}

	#putOutbound(): void {
		const outbound = this.#outbound;
		if (!outbound) return;
		this.#db.transaction(OUTBOUND, 'readwrite').objectStore(OUTBOUND).put(outbound);
	}

	// Opening (synchronous: the views render with it)

	openMessage(message: ChatMessage): Opened<OpenedMessage> {
		if (message.enc === undefined) return { ok: true, value: { text: message.text } };
		const context: ItemContext = {
			roomId: this.#roomId,
			kind: 'message',
			itemId: message.id,
			author: message.author
		};
		return this.#open(context, message.enc, message.signature?.device);
	}

	openChange(messageId: string, author: string, change: MessageChange): Opened<{ text: string }> {
		if (change.enc === undefined) return { ok: true, value: { text: change.text ?? '' } };
		const context: ItemContext = {
			roomId: this.#roomId,
			kind: 'change',
			itemId: messageId,
			author
		};
		return this.#open(context, change.enc, change.signature?.device);
	}

	#open(context: ItemContext, enc: string, signedBy: string | undefined): Opened<OpenedMessage> {
		const cacheKey = `${context.kind}|${context.itemId}|${enc}`;
		const cached = this.#opened.get(cacheKey);
		if (cached) return cached;
		const result = this.#decrypt(context, enc, signedBy);
		this.#opened.set(cacheKey, result);
		return result;
	}

	#decrypt(context: ItemContext, enc: string, signedBy: string | undefined): Opened<OpenedMessage> {
		const sessionId = enc.split('.')[1] ?? '';
		const inbound = this.#inbound.get(`${context.roomId}|${sessionId}`);
		// Only the session's sender may write with it: its user, and its device when signed.
		if (!inbound) {
			this.#noteMissing(sessionId);
			return { ok: false, reason: 'no-key' };
		}
		if (inbound.senderUser !== context.author) return { ok: false, reason: 'tampered' };
		if (signedBy !== undefined && signedBy !== inbound.senderDevice) {
			return { ok: false, reason: 'tampered' };
		}
		const opened = decryptItem(inbound.state, context, enc);
		if (!opened.ok)
			return { ok: false, reason: opened.reason === 'no-key' ? 'no-key' : 'tampered' };
		const value = openedPayload(decodePayload(opened.plaintext), context.kind);
		return value === null ? { ok: false, reason: 'tampered' } : { ok: true, value };
	}

	#noteMissing(sessionId: string): void {
		if (this.#missing.has(sessionId)) return;
		this.#missing.add(sessionId);
		// Opening runs inside a render: the callback (which reads the inbox) runs after it.
		queueMicrotask(() => this.onMissingKey?.());
	}

	/** Keeps an inbound session, from the earliest index this device was given. */
	#addInbound(share: KeyShare, senderUser: string, senderDevice: string): boolean {
		const id = `${share.roomId}|${share.sessionId}`;
		const known = this.#inbound.get(id);
		if (known && known.state.index <= share.index) return false;
		if (known && (known.senderUser !== senderUser || known.senderDevice !== senderDevice)) {
			return false;
		}
		const state: SessionState = {
			sessionId: share.sessionId,
			index: share.index,
			chainKey: share.chainKey
		};
		const inbound: Inbound = {
			id,
			roomId: share.roomId,
			state,
			senderUser,
			senderDevice,
			forwardedTo: known?.forwardedTo ?? []
		};
		if (share.roomId === this.#roomId) this.#inbound.set(id, inbound);
		this.#db.transaction(INBOUND, 'readwrite').objectStore(INBOUND).put(inbound);
		return true;
	}

	#keysArrived(): void {
		this.version++;
		for (const [key, result] of this.#opened) {
			if (!result.ok && result.reason === 'no-key') this.#opened.delete(key);
		}
		this.#onKeys();
	}

	// The network: sharing and the inbox

	/** Active devices of `userId` (cached for one sync or inbox read; `fresh` asks again). */
	async #devices(userId: string, fresh = false): Promise<PublishedDevice[] | null> {
		const cached = fresh ? undefined : this.#devicesOf.get(userId);
		if (cached) return cached;
		const body = await getJson<{ devices: PublishedDevice[] }>(
			`/api/users/${encodeURIComponent(userId)}/devices`
		);
		if (body === null) return null;
		this.#devicesOf.set(userId, body.devices);
		return body.devices;
	}

	/**
	 * Shares this device's session with every member device that lacks it, starting a new session
	 * first when the members changed; forwards the room's sessions to the user's own new devices.
	 * False when the server could not be asked (offline): try again later.
	 */
	async sync(): Promise<boolean> {
		this.#devicesOf = new Map();
		const listing = await getJson<{ members: { id: string }[] }>(
			`/api/rooms/${encodeURIComponent(this.#roomId)}/members`
		);
		if (listing === null) return false;
		const ids = new Set(listing.members.map((member) => member.id));
		// A DM request's recipient is no member until they accept, yet the request is for them:
		// they read it from the start (sharing with them gives nothing to anyone else). A group DM
		// may wait for several.
		const dms = await getJson<{
			dms: { id: string; others: { id: string; pending: boolean }[] }[];
		}>('/api/dms');
		const dm = dms?.dms.find((candidate) => candidate.id === this.#roomId);
		for (const person of dm?.others ?? []) if (person.pending) ids.add(person.id);
		const members = [...ids].sort();
		const outbound = this.#currentOutbound(members);
		const shares: { to: PublishedDevice; share: KeyShare }[] = [];
		const sharedWith = new Set(outbound.sharedWith);
		for (const member of members) {
			const devices = await this.#devices(member);
			if (devices === null) return false;
			for (const device of devices) {
				if (sharedWith.has(device.id)) continue;
				sharedWith.add(device.id);
				const { start } = outbound;
				shares.push({
					to: device,
					share: {
						roomId: this.#roomId,
						sessionId: start.sessionId,
						index: 0,
						chainKey: start.chainKey
					}
				});
			}
		}
		// The user's own other devices get every session this one can read (forwarded history).
		const own = (await this.#devices(this.#userId)) ?? [];
		const forwarded: Inbound[] = [];
		for (const inbound of this.#inbound.values()) {
			const missing = own.filter(
				(device) => device.id !== this.#device.deviceId && !inbound.forwardedTo.includes(device.id)
			);
			if (missing.length === 0) continue;
			for (const device of missing) {
				shares.push({
					to: device,
					share: {
						roomId: inbound.roomId,
						sessionId: inbound.state.sessionId,
						index: inbound.state.index,
						chainKey: inbound.state.chainKey,
						origin: { user: inbound.senderUser, device: inbound.senderDevice }
					}
				});
			}
			forwarded.push({
				...inbound,
				forwardedTo: [...inbound.forwardedTo, ...missing.map((d) => d.id)]
			});
		}
		if (!(await this.#send(shares))) return false;
		if (this.#outbound?.state.sessionId === outbound.start.sessionId) {
			this.#outbound = { ...this.#outbound, sharedWith: [...sharedWith] };
			this.#putOutbound();
		}
		const store = this.#db.transaction(INBOUND, 'readwrite').objectStore(INBOUND);
		for (const inbound of forwarded) {
			this.#inbound.set(inbound.id, inbound);
			store.put(inbound);
		}
		return true;
	}

	async #send(shares: readonly { to: PublishedDevice; share: KeyShare }[]): Promise<boolean> {
		const from = this.#device.deviceId;
		for (let i = 0; i < shares.length; i += SHARES_PER_REQUEST) {
			const messages = await Promise.all(
				shares.slice(i, i + SHARES_PER_REQUEST).map(async ({ to, share }) => {
					const agreementKey = decodeBase64urlIgnorePadding(to.agreementKey);
					const ends = { fromDevice: from, toDevice: to.id, toAgreementKey: agreementKey };
					const body = sealShare(share, ends, random(32), random(24));
					const sig = await signWithDevice(this.#device, shareSigningBytes(from, to.id, body));
					return { to: to.id, body, sig: encodeKeyText(sig) };
				})
			);
			if (!(await postJson('/api/to-device', { from, messages }))) return false;
		}
		return true;
	}

	/** Reads this device's inbox: opens the shares it can verify, then acknowledges them all. */
	async readInbox(): Promise<void> {
		const me = this.#device.deviceId;
		const inbox = await getJson<{
			messages: { id: string; fromDevice: string; fromUser: string; body: string; sig: string }[];
		}>(`/api/to-device?device=${me}`);
		if (inbox === null || inbox.messages.length === 0) return;
		const ownAgreement = decodeBase64urlIgnorePadding(this.#device.agreementKey);
		let arrived = false;
		for (const message of inbox.messages) {
			const known = (await this.#devices(message.fromUser))?.find(
				(d) => d.id === message.fromDevice
			);
			// A device registered since the list was read: ask again once.
			const sender =
				known ??
				(await this.#devices(message.fromUser, true))?.find((d) => d.id === message.fromDevice);
			// Gone (removed) or never published: nothing to verify it with.
			if (!sender) continue;
			const signed = shareSigningBytes(message.fromDevice, me, message.body);
			const verified = ed25519.verify(
				decodeBase64urlIgnorePadding(message.sig),
				signed,
				decodeBase64urlIgnorePadding(sender.signingKey)
			);
			if (!verified) continue;
			const share = await openShare(
				message.body,
				{ fromDevice: message.fromDevice, toDevice: me, toAgreementKey: ownAgreement },
				(publicKey) => agreeWithDevice(this.#device, publicKey)
			);
			if (share === null) continue;
			// A forwarded session names its sender; only the user's own devices may forward.
			const origin =
				share.origin && message.fromUser === this.#userId
					? share.origin
					: { user: message.fromUser, device: message.fromDevice };
			if (this.#addInbound(share, origin.user, origin.device) && share.roomId === this.#roomId) {
				arrived = true;
			}
		}
		await postJson('/api/to-device/ack', { device: me, ids: inbox.messages.map((m) => m.id) });
		if (arrived) this.#keysArrived();
	}
}

/**
 * Every room's keys of this device, opened on demand (the search page opens encrypted rooms'
 * replicas without their pages); `close` closes them all.
 */
export async function roomKeysOf(userId: string): Promise<{
	codecOf(roomId: string): Promise<ContentCodec | null>;
	close(): void;
}> {
	const device = await ensureDeviceKeys(userId);
	const opened: RoomKeys[] = [];
	return {
		async codecOf(roomId) {
			if (!device.registered) return null;
			const keys = await RoomKeys.open(userId, roomId, device, () => undefined);
			opened.push(keys);
			return keys;
		},
		close() {
			for (const keys of opened.splice(0)) keys.close();
		}
	};
}
