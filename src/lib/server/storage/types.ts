/**
 * Parley's one storage interface (docs/design.md, "Storage"). Every SQL statement of the
 * product lives behind it; SQLite (./sqlite/) is its first implementation.
 *
 * The rules of the contract:
 * - Every method is asynchronous and is ONE whole transaction: it commits entirely or not at
 *   all, and no caller ever holds a transaction open across calls. What must be atomic (a commit
 *   with its clientID claims and high-water marks, an invite's last use, a seal) is one method.
 * - Storage knows records, not policies: who may do what is decided by the domain functions
 *   (src/lib/server/*.ts) and the sync core, which then call these methods. Where a rule must be
 *   checked inside the transaction (a race otherwise), the method returns a result union.
 * - Implementations pass the conformance suite tests/storage/suite.ts unchanged.
 *
 * This file imports nothing: the sync server and the web app both depend on it, it depends on
 * neither.
 */

// ---------------------------------------------------------------------------------------------
// Records

export interface User {
	readonly id: string;
	readonly username: string;
}

export interface Session {
	readonly id: string;
	readonly userId: string;
	readonly createdAt: number;
	readonly lastVerifiedAt: number;
}

/** A session row with what validating a token needs (the secret's SHA-256 and the user). */
export interface StoredSession extends Session {
	readonly secretHash: Uint8Array;
	readonly username: string;
}

export type Visibility = 'public' | 'private';
export type Role = 'owner' | 'member';
/** 'dm': a direct message, a private room of 2–9 people fixed at creation (see dms.ts). */
export type RoomKind = 'room' | 'dm';

export interface Room {
	readonly id: string;
	readonly name: string;
	readonly visibility: Visibility;
	readonly kind: RoomKind;
	readonly ownerId: string;
	readonly createdAt: number;
	/** The live document's epoch (docs/design.md "History segments"). */
	readonly epoch: number;
	/** Shown under the name; '' for none. */
	readonly topic: string;
	/** When the owner archived it (read-only), or null while open. */
	readonly archivedAt: number | null;
	/** End-to-end encrypted (docs/design.md "Encrypted rooms"): chosen at creation, never changed. */
	readonly encrypted: boolean;
}

/** What the owner may change of a room (PATCH /api/rooms/:id); absent fields stay. */
export interface RoomSettingsChange {
	readonly name?: string;
	readonly topic?: string;
	/** A time archives it, null opens it again. */
	readonly archivedAt?: number | null;
}

export interface RoomOfUser {
	readonly id: string;
	readonly name: string;
	readonly visibility: Visibility;
	readonly kind: RoomKind;
	readonly role: Role;
	readonly encrypted: boolean;
}

export interface PublicRoom {
	readonly id: string;
	readonly name: string;
	readonly joined: boolean;
}

export interface Member {
	readonly id: string;
	readonly username: string;
	/** The name they chose, or '' (show the username). */
	readonly displayName: string;
	/** Their uploaded picture's version (docs/design.md "Profiles"), or null: initials. */
	readonly avatar: string | null;
	readonly role: Role;
}

/** What a user shows of themselves (docs/design.md "Profiles"). */
export interface Profile {
	readonly id: string;
	readonly username: string;
	/** '' when they chose none: the username is shown. */
	readonly displayName: string;
	/** The uploaded picture's version, or null when they have none (initials are shown). */
	readonly avatar: string | null;
}

/**
 * A user's uploaded picture: its bytes in the blob store under `sha256`, served as `type`;
 * `version` (derived from the bytes) goes into its URLs, so each picture is cached forever.
 */
export interface StoredAvatar {
	readonly sha256: string;
	readonly type: string;
	readonly version: string;
}

export interface BannedUser {
	readonly id: string;
	readonly username: string;
	readonly bannedAt: number;
}

export interface Invite {
	readonly id: string;
	readonly roomId: string;
	readonly createdAt: number;
	readonly expiresAt: number;
	/** null: any number of uses until it expires. */
	readonly maxUses: number | null;
	readonly uses: number;
	readonly revokedAt: number | null;
}

export type InviteState = 'active' | 'expired' | 'revoked' | 'used-up';

/** 'pending': the other person has not accepted yet. */
export type DmStatus = 'active' | 'pending';

/** One of the other people of a DM: `pending` while their request waits for them. */
/** A person as named in lists of people (a DM's, a summary's): a profile without the picture. */
export type PersonName = Omit<Profile, 'avatar'>;

export interface DmPerson extends PersonName {
	readonly pending: boolean;
}

export interface DirectMessage {
	readonly id: string;
	/** The first of `others` (the other person of a two-person DM). */
	readonly other: User;
	/** Everyone of the DM's set but the viewer, by username; one for a two-person DM. */
	readonly others: readonly DmPerson[];
	readonly status: DmStatus;
}

export interface DmRequest {
	readonly id: string;
	/** Who asked (the DM's creator). */
	readonly other: User;
	/** Everyone of the DM's set but the viewer, by username (the sender among them). */
	readonly others: readonly DmPerson[];
}

export interface StoredFile {
	readonly id: string;
	readonly sha256: string;
	readonly roomId: string;
	readonly uploaderId: string;
	readonly name: string;
	readonly type: string;
	readonly size: number;
	readonly createdAt: number;
}

/** A device of an account and its public keys (docs/design.md "Device keys"). */
export interface Device {
	readonly id: string;
	readonly userId: string;
	readonly name: string;
	/** Ed25519 public key, 32 bytes as unpadded base64url. */
	readonly signingKey: string;
	/** X25519 public key, 32 bytes as unpadded base64url. */
	readonly agreementKey: string;
	readonly createdAt: number;
	/** When its owner removed it, or null while active. A removed device's row stays. */
	readonly removedAt: number | null;
}

/** A sealed message from one device to another (key shares of encrypted rooms), as stored. */
export interface ToDeviceMessage {
	readonly id: string;
	readonly fromDevice: string;
	/** The sending device's user. */
	readonly fromUser: string;
	/** Sealed for the recipient device only: the server cannot open it. */
	readonly body: string;
	/** The sending device's Ed25519 signature of the body (protocol/sender-keys.ts). */
	readonly sig: string;
	readonly createdAt: number;
}

export type SendToDevicesOutcome =
	| { readonly ok: true }
	| {
			readonly ok: false;
			/** A recipient is no active device, or one's inbox holds `maxPending` already. */
			readonly reason: 'unknown-device' | 'inbox-full';
			readonly device: string;
	  };

export type RegisterDeviceOutcome =
	| { readonly ok: true }
	| { readonly ok: false; readonly reason: 'too-many-devices' | 'key-in-use' };

/** What a message may say of an upload of its room (gate rule 2). */
export interface RoomFileInfo {
	readonly name: string;
	readonly type: string;
	readonly size: number;
}

export interface IndexedMessage {
	readonly id: string;
	readonly author: string;
	readonly text: string;
	readonly ts: number;
}

export interface MessageChange {
	readonly text?: string;
	readonly deleted?: boolean;
	readonly ts: number;
}

/** One Yjs item written at a `changes` key: later edits pointing into it are that message's. */
export interface ChangeItem {
	readonly client: number;
	readonly clock: number;
	readonly length: number;
	readonly messageId: string;
	/** The change it carries (null: none to apply, e.g. a deleted item). */
	readonly change: MessageChange | null;
}

/** What the indexer writes for one room, in order: messages first, then change items. */
export interface RoomIndexWrite {
	readonly roomId: string;
	readonly messages: readonly IndexedMessage[];
	readonly changes: readonly ChangeItem[];
}

/** A search match the user may see, before the snippet is made. */
export interface MessageMatch {
	readonly roomId: string;
	readonly roomName: string;
	readonly messageId: string;
	readonly author: string;
	/** null when the author's account is gone. */
	readonly authorName: string | null;
	readonly text: string;
	readonly ts: number;
}

export interface SegmentInfo {
	readonly n: number;
	readonly epoch: number;
	readonly count: number;
	readonly firstId: string;
	readonly lastId: string;
}

export interface StoredSegment {
	readonly n: number;
	readonly epoch: number;
	/** gzip of the JSON array of message objects, as stored. */
	readonly gzip: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// The room log (the sync server's durable state)

/** One committed update in a room's log. `seq` counts per room, from 1, without gaps. */
export interface StoredUpdate {
	readonly seq: number;
	readonly data: Uint8Array;
}

/** Everything a room needs to go live, read in ONE transaction (one consistent picture). */
export interface LoadedRoom {
	/** The snapshot (if any) followed by the log after it, oldest first. */
	readonly updates: readonly Uint8Array[];
	/** The highest seq these include (0 for an empty room). */
	readonly seq: number;
	/** The head's epoch (rooms.epoch): how many times the room was sealed. */
	readonly epoch: number;
	/** How many log entries follow the snapshot. */
	readonly logLength: number;
	/** Gate rule 5: every claimed clientID of the head -> its owner's user id. */
	readonly owners: Map<number, string>;
	/** clientID -> clock below which the server committed its structs (docs/design.md "Healing"). */
	readonly highWater: Map<number, number>;
	/** When the room was last sealed (ms since the epoch), for SEAL_MIN_INTERVAL_MS; absent: never. */
	readonly sealedAtMs?: number;
	/** The room is end-to-end encrypted (gate rule 2: its messages are); absent: plain. */
	readonly encrypted?: boolean;
}

/** The log since a seq, and the epoch it belongs to (read together, in one transaction). */
export interface RoomLogSince {
	readonly epoch: number;
	readonly updates: StoredUpdate[];
}

/** One update to commit. */
export interface CommitItem {
	readonly roomId: string;
	readonly data: Uint8Array;
	/**
	 * The room's epoch when the update was gated. If the room has another epoch by the time the
	 * batch commits (another instance sealed it), nothing of the item is stored. Absent: no check.
	 */
	readonly epoch?: number;
	/** The author: new `claims` are recorded for them. Required when `claims` is not empty. */
	readonly userId?: string;
	/**
	 * clientIDs the update writes with that the room may not have claimed yet (gate rule 5). Each
	 * is claimed for `userId` unless it has an owner; if any belongs to someone else the item is
	 * refused (`claimed`) and nothing of it is stored.
	 */
	readonly claims?: readonly number[];
	/** clientID -> clock after its last struct in this update: the high-water marks to raise. */
	readonly clocks?: ReadonlyMap<number, number>;
	/**
	 * Upload ids the update's new messages name (gate rule 2): recorded as referenced when the
	 * item is stored, so garbage collection keeps them (`files.deleteUnreferenced`).
	 */
	readonly fileIds?: readonly string[];
}

/** What became of one CommitItem, in the batch's order. */
export type CommitOutcome =
	| { readonly status: 'stored'; readonly seq: number; readonly data: Uint8Array }
	/** Gated against a head that was sealed since: the client re-sends it into the new head. */
	| { readonly status: 'stale-epoch' }
	/** One of its clientIDs belongs to another user (claimed elsewhere meanwhile). */
	| { readonly status: 'claimed'; readonly clientId: number; readonly owner: string };

/** What sealing epoch e writes (sync-server/seal.ts builds it from the head doc). */
export interface SealRecord {
	/** In history order; the storage numbers them after the room's earlier segments. */
	readonly segments: readonly {
		readonly count: number;
		readonly firstId: string;
		readonly lastId: string;
		/** gzip of the JSON array of the segment's messages. */
		readonly data: Uint8Array;
	}[];
	/** Every sealed message's id and author (gate rules 2 and 4 once they leave the head). */
	readonly messageIds: readonly { readonly id: string; readonly author: string }[];
	/** Y.encodeStateVector of the sealed head. */
	readonly stateVector: Uint8Array;
	/** Y.encodeStateAsUpdate of the next head. */
	readonly head: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Result unions of the transactions that check a rule inside

export type CreateUserOutcome =
	| { readonly ok: true; readonly user: User }
	| { readonly ok: false; readonly reason: 'username-taken' | 'username-lookalike' };

export type AcceptInviteOutcome =
	| { readonly status: 'not-found' }
	| { readonly status: 'inactive'; readonly state: Exclude<InviteState, 'active'> }
	| { readonly status: 'already-member'; readonly room: Room }
	| { readonly status: 'joined'; readonly room: Room };

export type OpenDmOutcome =
	| { readonly status: 'declined' }
	| { readonly status: 'refused'; readonly retryAfterSeconds: number }
	| {
			readonly status: 'opened';
			readonly room: Room;
			readonly created: boolean;
			readonly dmStatus: DmStatus;
			/** Who became a member in this call (`me` and those who share a room with `me`). */
			readonly joined: readonly string[];
	  };

export type FileLookup =
	| { readonly ok: true; readonly file: StoredFile }
	| { readonly ok: false; readonly reason: 'file-not-found' | 'not-a-member' };

// ---------------------------------------------------------------------------------------------
// The interface, by concern

/** Users (with their look-alike skeletons), sessions and known logins. */
export interface AccountStorage {
	findUserByUsername(username: string): Promise<User | null>;
	getUser(userId: string): Promise<User | null>;
	/** The user's profile, or null. */
	getProfile(userId: string): Promise<Profile | null>;
	/** Sets the user's display name ('' for none); the profile after, or null if no such user. */
	setDisplayName(userId: string, displayName: string): Promise<Profile | null>;
	/** The user's uploaded picture, or null (none, or no such user). */
	getAvatar(userId: string): Promise<StoredAvatar | null>;
	/**
	 * Sets (or, with null, removes) the user's picture, in ONE transaction: the bytes of the one
	 * it replaces are recorded as retired at `now`, for garbage collection
	 * (`files.deleteUnreferenced`). The profile after, or null if no such user.
	 */
	setAvatar(userId: string, avatar: StoredAvatar | null, now: number): Promise<Profile | null>;
	/** The user and their password hash (login), or null. */
	findCredentials(username: string): Promise<{ user: User; passwordHash: string } | null>;
	/** Whether the name (case-insensitively), or a name with the same skeleton, is taken. */
	findUsernameClash(
		username: string,
		skeleton: string
	): Promise<'username-taken' | 'username-lookalike' | null>;
	/** Inserts the user unless the name or its skeleton is taken (checked in the transaction). */
	createUser(input: {
		readonly user: User;
		readonly skeleton: string;
		readonly passwordHash: string;
		readonly now: number;
	}): Promise<CreateUserOutcome>;

	insertSession(session: Session & { readonly secretHash: Uint8Array }): Promise<void>;
	/** The session with its user, or null. Runs on every request and sync upgrade. */
	getSession(sessionId: string): Promise<StoredSession | null>;
	/** Marks the session used at `now` (renewal). */
	touchSession(sessionId: string, now: number): Promise<void>;
	deleteSession(sessionId: string): Promise<void>;
	deleteUserSessions(userId: string): Promise<void>;

	/** Whether `keyHash` was seen for the user at or after `since`. */
	isKnownLogin(userId: string, keyHash: Uint8Array, since: number): Promise<boolean>;
	/**
	 * Marks the keys seen at `now`, then forgets the user's keys older than `forgetBefore` and
	 * all but the `keepPerUser` most recently seen. One transaction.
	 */
	rememberLogin(input: {
		readonly userId: string;
		readonly keyHashes: readonly Uint8Array[];
		readonly now: number;
		readonly forgetBefore: number;
		readonly keepPerUser: number;
	}): Promise<void>;
}

/** Devices and their public keys. */
export interface DeviceStorage {
	/**
	 * Adds an active device, unless the user has `maxActive` active devices already or its
	 * signing key is any device's (removed ones included: a key names one device forever).
	 */
	register(device: Omit<Device, 'removedAt'>, maxActive: number): Promise<RegisterDeviceOutcome>;
	/** The user's active devices, oldest first. */
	listOfUser(userId: string): Promise<Device[]>;
	/** A device by id, removed or not (a removed device's key still names what it signed). */
	get(deviceId: string): Promise<Device | null>;
	/** Marks the user's active device removed at `now`; false if there is no such device. */
	remove(userId: string, deviceId: string, now: number): Promise<boolean>;
	/**
	 * Queues sealed messages from `fromDevice` into their recipients' inboxes, all or none: every
	 * recipient must be an active device whose inbox holds fewer than `maxPending`.
	 */
	sendToDevices(
		fromDevice: string,
		messages: readonly {
			readonly id: string;
			readonly toDevice: string;
			readonly body: string;
			readonly sig: string;
		}[],
		now: number,
		maxPending: number
	): Promise<SendToDevicesOutcome>;
	/** A device's inbox, oldest first, at most `limit`. */
	inbox(toDevice: string, limit: number): Promise<ToDeviceMessage[]>;
	/** Deletes the named messages of the device's inbox (read); answers how many went. */
	ackInbox(toDevice: string, ids: readonly string[]): Promise<number>;
}

/** Rooms, memberships, bans, invites, DMs and DM requests / declines. */
export interface RoomStorage {
	get(roomId: string): Promise<Room | null>;
	/** The user's role in the room, or null when they are not a member. */
	membership(roomId: string, userId: string): Promise<Role | null>;
	/** Creates a room (kind 'room', epoch 0) with its owner as member 'owner'. */
	create(input: {
		readonly id: string;
		readonly name: string;
		readonly visibility: Visibility;
		/** End-to-end encrypted; absent: false. */
		readonly encrypted?: boolean;
		readonly ownerId: string;
		readonly now: number;
	}): Promise<Room>;
	/** Changes the room's name, topic or archive state; the room after, or null if unknown. */
	updateSettings(roomId: string, change: RoomSettingsChange): Promise<Room | null>;
	/** The ordinary rooms a user belongs to, newest first (created_at DESC, id). */
	listOfUser(userId: string): Promise<RoomOfUser[]>;
	/** Public rooms, newest first, at most `limit`, each marked with whether `userId` is in it. */
	listPublic(userId: string, limit: number): Promise<PublicRoom[]>;
	/** Members, owner first, then by username case-insensitively. */
	members(roomId: string): Promise<Member[]>;
	/** The members' user ids (the sync server's periodic membership check). */
	memberIds(roomId: string): Promise<string[]>;
	/** Makes the user a 'member' (no-op if already in) and lifts any ban: being let in. */
	addMember(roomId: string, userId: string, now: number): Promise<void>;
	/** Removes a membership; with `ban`, also bans (room_bans). False if they were not a member. */
	removeMember(
		roomId: string,
		userId: string,
		options: { readonly ban: boolean; readonly now: number }
	): Promise<boolean>;
	isBanned(roomId: string, userId: string): Promise<boolean>;
	/** The room's bans, by username case-insensitively. */
	bans(roomId: string): Promise<BannedUser[]>;
	/** Lifts a ban; false if there was none. */
	unban(roomId: string, userId: string): Promise<boolean>;

	createInvite(input: {
		readonly invite: Invite;
		readonly tokenHash: Uint8Array;
		readonly createdBy: string;
	}): Promise<void>;
	/** Invites that still admit people at `now`, newest first. */
	activeInvites(roomId: string, now: number): Promise<Invite[]>;
	/** Revokes (once: a second revoke keeps the first time). False if no such invite in the room. */
	revokeInvite(roomId: string, inviteId: string, now: number): Promise<boolean>;
	findInvite(tokenHash: Uint8Array): Promise<Invite | null>;
	/**
	 * In ONE transaction that takes the write lock first (the last use goes to exactly one of two
	 * simultaneous visitors): finds the invite, checks it still admits people at `now`, and unless
	 * the user is a member already adds them (lifting a ban) and counts one use.
	 */
	acceptInvite(tokenHash: Uint8Array, userId: string, now: number): Promise<AcceptInviteOutcome>;

	/**
	 * The DM of the set `key` (dms.ts dmKey: `me` and `others`), in ONE write-locked transaction:
	 * refused if any of `others` declined `me`; the existing one (which `me` joins as recipient if
	 * not a member); or a new one (encrypted: DMs are by default) with id `roomId` and `name`,
	 * after `admit()` allows it (the creation limit), where each of `others` is a member at once
	 * when they share an ordinary room with `me`, else gets a request from `me`.
	 */
	openDm(input: {
		readonly me: User;
		/** 1 (a two-person DM) to 8 (a group of 9) people, none of them `me`, no one twice. */
		readonly others: readonly User[];
		readonly key: string;
		readonly roomId: string;
		readonly name: string;
		readonly now: number;
		readonly admit: () =>
			{ readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };
	}): Promise<OpenDmOutcome>;
	/** The user's DMs, newest first, each with the other people and whether a request pends. */
	listDms(userId: string): Promise<DirectMessage[]>;
	/** Requests waiting for the user, newest first. */
	listDmRequests(userId: string): Promise<DmRequest[]>;
	/** The recipient accepts: the room, or null when no request to them pends. */
	acceptDmRequest(roomId: string, userId: string, now: number): Promise<Room | null>;
	/** The recipient declines (the sender may not ask again); false when no request pends. */
	declineDmRequest(roomId: string, userId: string, now: number): Promise<boolean>;
}

/** Uploaded files' metadata (the blobs themselves are files on disk, see files.ts). */
export interface FileStorage {
	record(file: StoredFile): Promise<void>;
	/** The file if `userId` is currently a member of its room. */
	getForUser(fileId: string, userId: string): Promise<FileLookup>;
	/**
	 * Garbage collection, in ONE transaction: deletes the rows of uploads created before
	 * `createdBefore` (ms) that no stored message references (`CommitItem.fileIds`) and the
	 * records of pictures retired before it (`accounts.setAvatar`), and returns how many uploads
	 * it deleted and the content hashes no upload and no user's picture names any more (their
	 * bytes may go).
	 */
	deleteUnreferenced(createdBefore: number): Promise<UnreferencedFiles>;
	/**
	 * Whether any upload row or user's picture still names these bytes (checked again just
	 * before deleting them).
	 */
	hasContent(sha256: string): Promise<boolean>;
}

/** What `files.deleteUnreferenced` removed. */
export interface UnreferencedFiles {
	readonly deleted: number;
	/** SHA-256 (hex) of contents that no upload names any more. */
	readonly orphaned: readonly string[];
}

/** What narrows a search (GET /api/search's `room`, `author`, `from` and `to`); all optional. */
export interface SearchFilters {
	/** Only messages of this room (still only if the user is a member). */
	readonly roomId?: string;
	/**
	 * Only messages whose author's username is this, or whose display name is this (several
	 * people may share one), ignoring case (on SQLite: of ASCII letters).
	 */
	readonly author?: string;
	/** Only messages with `ts` at or after this time (ms since the epoch). */
	readonly fromTs?: number;
	/** Only messages with `ts` before this time (ms since the epoch). */
	readonly toTs?: number;
}

/** The message search index: the indexer's writes and the member-scoped query. */
export interface SearchStorage {
	/** The message whose `changes` item covers (client, clock) in the room, or null. */
	findChangeItemKey(roomId: string, client: number, clock: number): Promise<string | null>;
	/**
	 * Writes the rooms' messages (a message already indexed is kept) and change items (each
	 * recorded, then its change applied when not older than what the index holds), in ONE
	 * transaction. Returns how many messages were given and how many changes were applied.
	 * (The indexer resolves change items' messages with `findChangeItemKey` before: only the
	 * indexer writes change items, so nothing can slip in between.)
	 */
	writeIndex(rooms: readonly RoomIndexWrite[]): Promise<{ messages: number; changes: number }>;
	/** Replaces the room's whole index with `write`, in ONE transaction. */
	rebuildRoom(write: RoomIndexWrite): Promise<void>;
	isRoomIndexed(roomId: string): Promise<boolean>;
	/**
	 * Messages matching every term (prefix match on each word), not deleted, in rooms `userId` is
	 * a member of NOW, narrowed by `filters`; newest first, at most `limit`. Throws
	 * `SearchQueryError` (./errors.ts) when the backend cannot understand the terms.
	 */
	searchMessages(
		userId: string,
		terms: readonly string[],
		limit: number,
		filters?: SearchFilters
	): Promise<MessageMatch[]>;
}

/** Sealed history: segments and epochs (read API). */
export interface HistoryStorage {
	/** The room's head epoch, or null when there is no such room. */
	headEpoch(roomId: string): Promise<number | null>;
	/** Sealed segments, oldest first. */
	segments(roomId: string): Promise<SegmentInfo[]>;
	segment(roomId: string, n: number): Promise<StoredSegment | null>;
	/** The state vector epoch `epoch` was sealed with, or null. */
	sealedStateVector(roomId: string, epoch: number): Promise<Uint8Array | null>;
}

/**
 * The sync server's durable log: per room, an update log with gapless seqs after one compacted
 * snapshot, the head's clientID claims and high-water marks, and sealing into history.
 * Methods throw `UnknownRoomError` (./errors.ts) for a room that is not in `rooms`.
 */
export interface RoomLogStorage {
	load(roomId: string): Promise<LoadedRoom>;
	/**
	 * Marks a room just loaded: raises the marks to `committed` (the loaded doc's state vector)
	 * for claimed clientIDs whose mark is lower, and returns the room's marks after that.
	 */
	raiseHighWaterToState(
		roomId: string,
		committed: ReadonlyMap<number, number>
	): Promise<Map<number, number>>;
	/** Claims `clientId` for `userId` unless it has an owner; returns the owner after the attempt. */
	claim(roomId: string, clientId: number, userId: string): Promise<string>;
	/**
	 * Commits the batch in ONE write-locked transaction (group commit): for each item, in order,
	 * skips it if its epoch is stale; claims its clientIDs (refusing it if one is someone else's);
	 * appends it with the room's next seq; raises its high-water marks. Throws if the transaction
	 * fails: nothing of the batch is then stored.
	 */
	commit(batch: readonly CommitItem[]): Promise<CommitOutcome[]>;
	/**
	 * The log entries with seq > afterSeq, oldest first (the snapshot, with its upto seq, if the
	 * log was compacted or sealed past it), with the room's current epoch.
	 */
	readSince(roomId: string, afterSeq: number): Promise<RoomLogSince>;
	/**
	 * Replaces the log up to `uptoSeq` with the snapshot `state` (a snapshot only moves forward);
	 * with `epoch`, only while the room is in that epoch.
	 */
	compact(roomId: string, uptoSeq: number, state: Uint8Array, epoch?: number): Promise<void>;
	/** How many log entries follow the snapshot. */
	logLength(roomId: string): Promise<number>;
	/**
	 * Seals the head in ONE transaction, only if the room is still at `expected.epoch` AND its
	 * log ends at `expected.lastSeq`: writes the segments, message ids and the epoch's state
	 * vector, replaces log and snapshot with `seal.head` at seq lastSeq + 1, moves to the next
	 * epoch and drops the head's clientID claims and marks. Returns the new epoch, or null when
	 * either differs (nothing written).
	 */
	seal(
		roomId: string,
		expected: { readonly epoch: number; readonly lastSeq: number },
		seal: SealRecord
	): Promise<number | null>;
	/** The author of a sealed message of the room; undefined if none. */
	sealedAuthorOf(roomId: string, messageId: string): Promise<string | undefined>;
	/** An upload of the room, or undefined. */
	roomFile(roomId: string, fileId: string): Promise<RoomFileInfo | undefined>;
	/** Whether the owner archived the room (the gate then refuses new messages); false if unknown. */
	isArchived(roomId: string): Promise<boolean>;
}

/** A notification level as stored (the wire's `NotificationLevel`, src/lib/protocol/summaries.ts). */
export type NotificationLevel = 'all' | 'mentions' | 'nothing';

/** A member's read mark, as the room document's `reads` holds it (the last one committed). */
export interface ReadMarkRecord {
	readonly roomId: string;
	readonly userId: string;
	/** A message id (UUID). */
	readonly upTo: string;
	readonly ts: number;
}

/**
 * How far a member's devices have received a room (docs/design.md "Delivered and read"): the
 * last message one of their devices acknowledged, and the room log's seq it was acknowledged at.
 */
export interface DeliveryMarkRecord {
	readonly roomId: string;
	readonly userId: string;
	/** A message id (UUID). */
	readonly upTo: string;
	/** The room's last seq when the device acknowledged `upTo`: a mark only moves forward. */
	readonly seq: number;
	readonly ts: number;
}

/** One room of a user with what the summary channel shows (docs/design.md "Summary channel"). */
export interface RoomSummaryRecord {
	readonly id: string;
	readonly name: string;
	readonly kind: RoomKind;
	readonly topic: string;
	readonly archived: boolean;
	/** End-to-end encrypted: the indexed texts are '' (the browser decrypts the preview). */
	readonly encrypted: boolean;
	readonly lastSeq: number;
	/** The room's latest indexed message (in index order), or null. */
	readonly last: {
		readonly id: string;
		readonly author: string;
		/** The author's display name, or their username without one; null: no such user. */
		readonly authorName: string | null;
		readonly text: string;
		readonly ts: number;
		readonly deleted: boolean;
	} | null;
	/**
	 * A DM's other people (its whole set but the user, whether they accepted yet or not), by
	 * username then id; [] for an ordinary room.
	 */
	readonly others: readonly PersonName[];
	/** Indexed messages by others, not deleted, after the user's read mark (all without one). */
	readonly unread: number;
	/** The user's notification level for the room; null: their default. */
	readonly level: NotificationLevel | null;
	/**
	 * The texts of up to 100 of those unread messages whose text contains
	 * "@<username>", "@room" or "@here" case-insensitively; the caller decides which are mentions (mentions.ts).
	 */
	readonly mentionCandidates: readonly string[];
}

/**
 * The summary channel's reads: derived from the search index (`message_index`, in index order)
 * and the members' last read marks. Nothing is written per message per member.
 */
export interface SummaryStorage {
	/** Records read marks (one row per room and member, the latest ts wins), in one transaction. */
	recordReadMarks(marks: readonly ReadMarkRecord[]): Promise<void>;
	/**
	 * Records delivery marks (one row per room and member) in one transaction: a mark replaces
	 * the member's only with a larger seq, and only while the user is a member of the room.
	 * Answers the marks that were written (the others changed nothing).
	 */
	recordDeliveries(marks: readonly DeliveryMarkRecord[]): Promise<DeliveryMarkRecord[]>;
	/** The delivery marks of the room's current members. */
	deliveriesOf(roomId: string): Promise<DeliveryMarkRecord[]>;
	/**
	 * Sets the user's notification level for a room (null: back to their default). Only for a
	 * member of the room; answers whether it was set.
	 */
	setRoomLevel(roomId: string, userId: string, level: NotificationLevel | null): Promise<boolean>;
	/** Sets the user's default notification level. */
	setDefaultLevel(userId: string, level: NotificationLevel): Promise<void>;
	/** The user's default notification level ('all' when never set). */
	defaultLevelOf(userId: string): Promise<NotificationLevel>;
	/** Every room (and DM) the user is a member of now, with its summary. */
	ofUser(userId: string, username: string): Promise<RoomSummaryRecord[]>;
	/** One room's summary for the user; null when they are not a member. */
	ofRoom(roomId: string, userId: string, username: string): Promise<RoomSummaryRecord | null>;
}

export interface Storage {
	readonly accounts: AccountStorage;
	readonly devices: DeviceStorage;
	readonly rooms: RoomStorage;
	readonly files: FileStorage;
	readonly search: SearchStorage;
	readonly history: HistoryStorage;
	readonly roomLog: RoomLogStorage;
	readonly summaries: SummaryStorage;
	/** Closes the connection(s). Nothing may be called after. */
	close(): Promise<void>;
}
