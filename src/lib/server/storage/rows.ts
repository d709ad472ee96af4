/**
 * Rows as every SQL backend reads them (snake_case columns, as the migrations name them) and the
 * records of ./types.ts they become: one mapping, shared by sqlite/ and postgres/. Pure.
 */
import type {
	Device,
	Invite,
	MessageMatch,
	Room,
	RoomKind,
	StoredFile,
	StoredSession,
	ToDeviceMessage,
	Visibility
} from './types';

export interface RoomRow {
	id: string;
	name: string;
	visibility: Visibility;
	kind: RoomKind;
	owner_id: string;
	created_at: number;
	epoch: number;
	topic: string;
	archived_at: number | null;
	/** SQLite 0/1, PostgreSQL boolean. */
	encrypted: number | boolean;
}

export function toRoom(row: RoomRow): Room {
	return {
		id: row.id,
		name: row.name,
		visibility: row.visibility,
		kind: row.kind,
		ownerId: row.owner_id,
		createdAt: row.created_at,
		epoch: row.epoch,
		topic: row.topic,
		archivedAt: row.archived_at,
		encrypted: Boolean(row.encrypted)
	};
}

/** A room just created by `rooms.create`: kind 'room', epoch 0, no topic, open. */
export function newRoom(input: {
	readonly id: string;
	readonly name: string;
	readonly visibility: Visibility;
	readonly ownerId: string;
	readonly now: number;
	readonly encrypted: boolean;
}): Room {
	const { id, name, visibility, ownerId, now, encrypted } = input;
	return {
		id,
		name,
		visibility,
		kind: 'room',
		ownerId,
		createdAt: now,
		epoch: 0,
		topic: '',
		archivedAt: null,
		encrypted
	};
}

export interface InviteRow {
	id: string;
	room_id: string;
	created_at: number;
	expires_at: number;
	max_uses: number | null;
	uses: number;
	revoked_at: number | null;
}

export function toInvite(row: InviteRow): Invite {
	return {
		id: row.id,
		roomId: row.room_id,
		createdAt: row.created_at,
		expiresAt: row.expires_at,
		maxUses: row.max_uses,
		uses: row.uses,
		revokedAt: row.revoked_at
	};
}

export interface SessionRow {
	id: string;
	secret_hash: Uint8Array;
	user_id: string;
	created_at: number;
	last_verified_at: number;
	username: string;
}

export function toStoredSession(row: SessionRow): StoredSession {
	return {
		id: row.id,
		userId: row.user_id,
		createdAt: row.created_at,
		lastVerifiedAt: row.last_verified_at,
		secretHash: new Uint8Array(row.secret_hash),
		username: row.username
	};
}

export interface FileRow {
	id: string;
	sha256: string;
	room_id: string;
	uploader_id: string;
	name: string;
	type: string;
	size: number;
	created_at: number;
}

export function toStoredFile(row: FileRow): StoredFile {
	return {
		id: row.id,
		sha256: row.sha256,
		roomId: row.room_id,
		uploaderId: row.uploader_id,
		name: row.name,
		type: row.type,
		size: row.size,
		createdAt: row.created_at
	};
}

export interface SearchRow {
	room_id: string;
	room_name: string;
	message_id: string;
	author: string;
	author_name: string | null;
	text: string;
	ts: number;
}

export function toMessageMatch(row: SearchRow): MessageMatch {
	return {
		roomId: row.room_id,
		roomName: row.room_name,
		messageId: row.message_id,
		author: row.author,
		authorName: row.author_name,
		text: row.text,
		ts: row.ts
	};
}

/** A `devices` row (both backends). */
export interface DeviceRow {
	id: string;
	user_id: string;
	name: string;
	signing_key: string;
	agreement_key: string;
	created_at: number;
	removed_at: number | null;
}

export interface ToDeviceRow {
	id: string;
	from_device: string;
	from_user: string;
	body: string;
	sig: string;
	created_at: number;
}

export function toToDeviceMessage(row: ToDeviceRow): ToDeviceMessage {
	return {
		id: row.id,
		fromDevice: row.from_device,
		fromUser: row.from_user,
		body: row.body,
		sig: row.sig,
		createdAt: row.created_at
	};
}

export function toDevice(row: DeviceRow): Device {
	return {
		id: row.id,
		userId: row.user_id,
		name: row.name,
		signingKey: row.signing_key,
		agreementKey: row.agreement_key,
		createdAt: row.created_at,
		removedAt: row.removed_at
	};
}
