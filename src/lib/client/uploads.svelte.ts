/**
 * Messages with attachments: the draft and its files wait in IndexedDB (so files attached
 * offline survive reloads), each file is uploaded with progress, and the message is pushed
 * into the room only once all its files are stored on the server. See docs/design.md, "Files".
 */
import { COULD_NOT_KEEP_OFFLINE, isQuotaError, writeTransaction } from './storage-space.svelte';
import { MAX_FILES_PER_MESSAGE, READER_LIMITS, parseFile } from '../protocol/schema';
import type { ChatMessage, FileRef } from './messages';
import { keepSentFile } from './offline-files';
import {
	ENCRYPTED_FILE_NAME,
	ENCRYPTED_FILE_TYPE,
	FILE_KEY_BYTES,
	FILE_NONCE_BYTES,
	encryptFile,
	encryptedSize,
	type FileKey
} from '../protocol/file-crypto';
import { MAX_PAYLOAD_BYTES, encodePayload } from '../protocol/payload';

export { MAX_FILES_PER_MESSAGE };

/** The server's default MAX_UPLOAD_BYTES (25 MiB). */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** How long to wait before retrying after a failure with the browser online, in ms. */
const RETRY_AFTER_MS = 5_000;

export interface OutboxItem {
	/** The file's key in the outbox (stable across reloads). */
	readonly key: string;
	readonly name: string;
	/** 0..1 of this file's bytes sent. */
	readonly progress: number;
	readonly state: 'queued' | 'uploading' | 'failed';
	/** Why the server refused it, when `state` is 'failed'. */
	readonly error?: string;
	/** Refused before upload (e.g. too large): it is not in the outbox at all. */
	readonly rejected?: boolean;
}

/** `fileKeys`: an encrypted room's attachments, to seal into the message's payload. */
export type PushMessage = (message: ChatMessage, fileKeys?: readonly FileKey[]) => void;

export interface OutboxDraft {
	readonly text: string;
	readonly files: readonly File[];
	readonly replyTo?: string;
	readonly push: PushMessage;
}

export type OutboxResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * One file of a stored draft; `uploaded` once the server has it. In an encrypted room `name`,
 * `type`, `size` and `blob` are the opaque upload's (the ciphertext) and `secret` what the
 * file really is and its key: the plaintext is never kept here.
 */
interface StoredFile {
	readonly key: string;
	readonly name: string;
	readonly type: string;
	readonly size: number;
	readonly blob: Blob;
	readonly secret?: Omit<FileKey, 'id'>;
	uploaded?: FileRef;
	failed?: string;
}

/** A message waiting for its files, as kept in IndexedDB. */
interface StoredDraft {
	readonly key: string;
	readonly roomId: string;
	readonly message: ChatMessage;
	readonly files: StoredFile[];
	readonly createdAt: number;
}

/** Binary units, as the limit is set (MAX_UPLOAD_BYTES = 25 MB = 25 × 1024² bytes). */
export function formatBytes(bytes: number): string {
	const KB = 1024;
	const MB = KB * KB;
	if (bytes < KB) return `${bytes} B`;
	if (bytes < MB) return `${(bytes / KB).toFixed(bytes < 10 * KB ? 1 : 0)} kB`;
	return `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
}

/**
 * Checks picked files before anything is stored or sent: the first problem as a sentence the
 * user can act on, or null when all can be uploaded.
 */
export function checkFiles(
	files: readonly { name: string; size: number }[],
	maxBytes: number = DEFAULT_MAX_UPLOAD_BYTES
): string | null {
	if (files.length > MAX_FILES_PER_MESSAGE) {
		return `A message can carry at most ${MAX_FILES_PER_MESSAGE} files.`;
	}
	for (const file of files) {
		if (file.size === 0) return `“${file.name}” is empty.`;
		if (file.size > maxBytes) {
			return `“${file.name}” is too large (${formatBytes(file.size)}): files can be at most ${formatBytes(maxBytes)}.`;
		}
	}
	return null;
}

type UploadOutcome =
	| { readonly kind: 'stored'; readonly file: FileRef }
	| { readonly kind: 'refused'; readonly error: string }
	| { readonly kind: 'unreachable' };

/** The upload's answer, as a message may name it (the room document's file schema). */
function isFileRef(value: unknown): value is FileRef {
	return parseFile(value, READER_LIMITS).ok;
}

function errorOf(body: string, status: number): string {
	try {
		const parsed: unknown = JSON.parse(body);
		if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
			const { error } = parsed;
			if (typeof error === 'string') return error;
		}
	} catch {
		// Not JSON: fall through to the status.
	}
	return status === 413 ? 'The file is too large.' : `Upload refused (${status}).`;
}

/** POST /api/files with the raw bytes; XMLHttpRequest because fetch reports no upload progress. */
function uploadFile(
	roomId: string,
	file: StoredFile,
	onProgress: (fraction: number) => void
): Promise<UploadOutcome> {
	return new Promise((resolve) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', `/api/files?roomId=${encodeURIComponent(roomId)}`);
		xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
		xhr.setRequestHeader('x-file-name', encodeURIComponent(file.name));
		xhr.upload.onprogress = (event) => {
			if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
		};
		xhr.onload = () => {
			if (xhr.status === 201) {
				let body: unknown = null;
				try {
					body = JSON.parse(xhr.responseText);
				} catch {
					// Checked below.
				}
				resolve(
					isFileRef(body)
						? { kind: 'stored', file: body }
						: { kind: 'refused', error: 'The server answered the upload with bad data.' }
				);
			} else if (xhr.status >= 500 || xhr.status === 0 || xhr.status === 429) {
				resolve({ kind: 'unreachable' });
			} else {
				resolve({ kind: 'refused', error: errorOf(xhr.responseText, xhr.status) });
			}
		};
		xhr.onerror = () => resolve({ kind: 'unreachable' });
		xhr.onabort = () => resolve({ kind: 'unreachable' });
		xhr.send(file.blob);
	});
}

const STORE = 'drafts';

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
	});
}

function openOutboxDb(userId: string): Promise<IDBDatabase> {
	const open = indexedDB.open(`parley-outbox:${userId}`, 1);
	open.onupgradeneeded = () => {
		open.result.createObjectStore(STORE, { keyPath: 'key' });
	};
	return request(open);
}

/** A message too long with its files' names to fit the encrypted payload (MAX_PAYLOAD_BYTES). */
export const TOO_LONG_TO_ENCRYPT =
	'This message and its file names are too long to encrypt together: shorten the text or send fewer files.';

/** A file read and encrypted for an encrypted room's upload (file-crypto.ts). */
async function encryptedStoredFile(file: File): Promise<StoredFile> {
	const key = crypto.getRandomValues(new Uint8Array(FILE_KEY_BYTES));
	const nonce = crypto.getRandomValues(new Uint8Array(FILE_NONCE_BYTES));
	const sealed = await encryptFile(new Uint8Array(await file.arrayBuffer()), key, nonce);
	return {
		key: crypto.randomUUID(),
		name: ENCRYPTED_FILE_NAME,
		type: ENCRYPTED_FILE_TYPE,
		size: sealed.upload.length,
		blob: new Blob([sealed.upload], { type: ENCRYPTED_FILE_TYPE }),
		secret: {
			name: file.name,
			type: file.type || ENCRYPTED_FILE_TYPE,
			size: file.size,
			key: sealed.key,
			nonce: sealed.nonce,
			sha256: sealed.sha256
		}
	};
}

/** Whether `text` and these files' entries fit one encrypted payload (ids and keys at full length). */
export function fitsEncryptedPayload(
	text: string,
	files: readonly { name: string; type: string; size: number }[]
): boolean {
	const placeholder = (file: { name: string; type: string; size: number }): FileKey => ({
		id: 'a'.repeat(24),
		name: file.name,
		type: file.type || ENCRYPTED_FILE_TYPE,
		size: file.size,
		key: 'a'.repeat(43),
		nonce: 'a'.repeat(16),
		sha256: 'a'.repeat(43)
	});
	return encodePayload({ text, files: files.map(placeholder) }).length <= MAX_PAYLOAD_BYTES;
}

export class Outbox {
	/** This room's files waiting to be sent, in order. */
	items: OutboxItem[] = $state([]);

	readonly userId: string;
	readonly roomId: string;
	readonly #maxBytes: number;
	/** An encrypted room: files are encrypted before they are kept and uploaded. */
	readonly #encrypted: boolean;
	readonly #db: Promise<IDBDatabase>;
	/** Not state: `items` is what the page reads. */
	readonly #progress: Record<string, number> = {};
	#uploading: string | null = null;
	#rejected: OutboxItem[] = [];
	#push: PushMessage | null = null;
	#running = false;
	#again = false;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;
	readonly #onOnline = (): void => void this.#process();

	constructor({
		userId,
		roomId,
		maxBytes = DEFAULT_MAX_UPLOAD_BYTES,
		encrypted = false
	}: {
		userId: string;
		roomId: string;
		maxBytes?: number;
		encrypted?: boolean;
	}) {
		this.userId = userId;
		this.roomId = roomId;
		this.#maxBytes = maxBytes;
		this.#encrypted = encrypted;
		this.#db = openOutboxDb(userId);
		window.addEventListener('online', this.#onOnline);
		void this.#refresh();
	}

	/**
	 * Queues a message with files; it is pushed into the room once every file is uploaded.
	 * Files over the size limit are refused here, before anything is stored or uploaded.
	 */
	async send(draft: OutboxDraft): Promise<OutboxResult> {
		// An encrypted upload is a little larger than its file (encryptedSize).
		const maxBytes = this.#encrypted ? this.#maxBytes - encryptedSize(0) : this.#maxBytes;
		const problem =
			checkFiles(draft.files, maxBytes) ??
			(this.#encrypted && !fitsEncryptedPayload(draft.text.trim(), draft.files)
				? TOO_LONG_TO_ENCRYPT
				: null);
		if (problem !== null) {
			// Shown in the upload queue too, for a caller that does not show the result.
			this.#rejected = [
				{
					key: crypto.randomUUID(),
					name: draft.files.find((file) => problem.includes(file.name))?.name ?? 'Attachment',
					progress: 0,
					state: 'failed',
					error: problem,
					rejected: true
				}
			];
			this.items = [...this.items.filter((item) => !item.rejected), ...this.#rejected];
			return { ok: false, error: problem };
		}
		this.#rejected = [];
		this.#push = draft.push;
		const message: ChatMessage = {
			id: crypto.randomUUID(),
			author: this.userId,
			text: draft.text.trim(),
			ts: Date.now(),
			...(draft.replyTo !== undefined ? { replyTo: draft.replyTo } : {})
		};
		const files: StoredFile[] = [];
		try {
			// One file at a time: at most one plaintext and its ciphertext in memory.
			for (const file of draft.files) {
				files.push(
					this.#encrypted
						? await encryptedStoredFile(file)
						: {
								key: crypto.randomUUID(),
								name: file.name,
								type: file.type,
								size: file.size,
								blob: file
							}
				);
			}
		} catch {
			// The file could not be read (moved or deleted since it was picked).
			return { ok: false, error: 'A file could not be read: attach it again.' };
		}
		const stored: StoredDraft = {
			key: message.id,
			roomId: this.roomId,
			message,
			createdAt: Date.now(),
			files
		};
		try {
			await this.#put(stored);
		} catch (error) {
			// A full disk: nothing was stored; the composer keeps the draft and says why.
			if (isQuotaError(error)) return { ok: false, error: COULD_NOT_KEEP_OFFLINE };
			throw error;
		}
		await this.#refresh();
		void this.#process();
		return { ok: true };
	}

	/** Sends what an earlier page left in the outbox (call once the room can take messages). */
	async resume(push: PushMessage): Promise<void> {
		this.#push = push;
		await this.#process();
	}

	/** Tries the failed files again. */
	async retry(): Promise<void> {
		for (const draft of await this.#drafts()) {
			if (draft.files.some((file) => file.failed !== undefined)) {
				for (const file of draft.files) delete file.failed;
				await this.#put(draft);
			}
		}
		await this.#process();
	}

	/** Drops the message a file belongs to (with its other files) from the outbox. */
	async discard(fileKey: string): Promise<void> {
		this.#rejected = this.#rejected.filter((item) => item.key !== fileKey);
		const draft = (await this.#drafts()).find((d) => d.files.some((f) => f.key === fileKey));
		if (draft) await this.#delete(draft.key);
		await this.#refresh();
	}

	destroy(): void {
		this.#destroyed = true;
		window.removeEventListener('online', this.#onOnline);
		if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
		void this.#db.then((db) => db.close());
	}

	async #process(): Promise<void> {
		if (this.#destroyed) return;
		if (this.#running) {
			this.#again = true;
			return;
		}
		this.#running = true;
		try {
			do {
				this.#again = false;
				// One tab at a time sends a user's outbox for a room; the others wait their turn
				// and then find the drafts it sent gone.
				await navigator.locks.request(`parley-outbox:${this.userId}:${this.roomId}`, () =>
					this.#sendAll()
				);
			} while (this.#again && !this.#destroyed);
		} finally {
			this.#running = false;
		}
	}

	async #sendAll(): Promise<void> {
		for (const draft of await this.#drafts()) {
			if (this.#destroyed) return;
			const outcome = await this.#uploadDraft(draft);
			if (outcome === 'unreachable') {
				this.#scheduleRetry();
				return;
			}
			if (outcome === 'failed') continue;
			const push = this.#push;
			if (push === null) return;
			const files = draft.files.flatMap((file) => (file.uploaded ? [file.uploaded] : []));
			const fileKeys = draft.files.flatMap((file) =>
				file.uploaded && file.secret ? [{ id: file.uploaded.id, ...file.secret }] : []
			);
			push({ ...draft.message, files }, fileKeys.length > 0 ? fileKeys : undefined);
			await this.#delete(draft.key);
			await this.#refresh();
		}
	}

	async #uploadDraft(draft: StoredDraft): Promise<'done' | 'failed' | 'unreachable'> {
		for (const file of draft.files) {
			if (file.uploaded) continue;
			if (file.failed !== undefined) return 'failed';
			if (!navigator.onLine) return 'unreachable';
			this.#uploading = file.key;
			this.#progress[file.key] = 0;
			await this.#refresh();
			const outcome = await uploadFile(this.roomId, file, (fraction) => {
				this.#progress[file.key] = fraction;
				this.#setProgress(file.key, fraction);
			});
			this.#uploading = null;
			if (outcome.kind === 'unreachable') {
				delete this.#progress[file.key];
				await this.#refresh();
				return 'unreachable';
			}
			if (outcome.kind === 'refused') file.failed = outcome.error;
			else {
				file.uploaded = outcome.file;
				await keepSentFile(outcome.file, file.blob);
			}
			await this.#put(draft);
			if (outcome.kind === 'refused') {
				await this.#refresh();
				return 'failed';
			}
		}
		return 'done';
	}

	#scheduleRetry(): void {
		if (this.#retryTimer !== null || this.#destroyed) return;
		// Offline: the window's 'online' event retries. Online but failing: try again later.
		if (!navigator.onLine) return;
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = null;
			void this.#process();
		}, RETRY_AFTER_MS);
	}

	#setProgress(key: string, fraction: number): void {
		this.items = this.items.map((item) =>
			item.key === key ? { ...item, progress: fraction, state: 'uploading' } : item
		);
	}

	async #refresh(): Promise<void> {
		const drafts = await this.#drafts();
		const queued = drafts.flatMap((draft) =>
			draft.files
				.filter((file) => !file.uploaded)
				.map((file): OutboxItem => {
					const base = { key: file.key, name: file.secret?.name ?? file.name };
					if (file.failed !== undefined) {
						return { ...base, progress: 0, state: 'failed', error: file.failed };
					}
					if (file.key === this.#uploading) {
						return { ...base, progress: this.#progress[file.key] ?? 0, state: 'uploading' };
					}
					return { ...base, progress: 0, state: 'queued' };
				})
		);
		this.items = [...queued, ...this.#rejected];
	}

	async #drafts(): Promise<StoredDraft[]> {
		const db = await this.#db;
		const all = (await request(db.transaction(STORE).objectStore(STORE).getAll())) as StoredDraft[];
		return all
			.filter((draft) => draft.roomId === this.roomId)
			.sort((a, b) => a.createdAt - b.createdAt);
	}

	/** Resolves once committed; rejects (QuotaExceededError on a full disk) when aborted. */
	async #put(draft: StoredDraft): Promise<void> {
		await writeTransaction(await this.#db, STORE, (tx) => tx.objectStore(STORE).put(draft));
	}

	async #delete(key: string): Promise<void> {
		await writeTransaction(await this.#db, STORE, (tx) => tx.objectStore(STORE).delete(key));
	}
}
