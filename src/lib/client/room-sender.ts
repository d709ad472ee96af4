/**
 * How the composer's Send becomes a message: text alone goes straight into the replica; with
 * files it goes through the upload outbox (uploads.svelte.ts), which pushes the message once
 * its files are on the server, into whichever replica is current then (a seal may come
 * between). Checks happen before anything is queued, so the composer keeps a refused draft.
 *
 * Offline (or while the replica could not store everything), a message exists only in this
 * browser until it reaches the server: it is written only if storage has room for it, else the
 * composer keeps the draft and says it could not be kept offline (docs/design.md, "Local
 * storage"). The first message kept offline is when persistent storage is asked for.
 */
import type { RoomReplica, SendResult } from './room.svelte';
import { COULD_NOT_KEEP_OFFLINE } from './storage-space.svelte';
import { checkFiles, type Outbox } from './uploads.svelte';

/** What a send needs of the replica it writes into. */
export type SendTarget = Pick<
	RoomReplica,
	'send' | 'checkText' | 'push' | 'setTyping' | 'status' | 'storageFull' | 'hasRoomFor'
>;

export interface RoomSenderOptions {
	/** The replica messages go into now (after a seal, the new head's). */
	readonly current: () => SendTarget;
	readonly outbox: Pick<Outbox, 'send' | 'resume'>;
	readonly maxUploadBytes: number;
	/** After a message was kept offline: ask for persistent storage (storage-space.svelte.ts). */
	readonly keptOffline?: () => void;
}

/** The composer's words when this browser's storage failed to say whether a message fits. */
export const STORAGE_DID_NOT_ANSWER =
	'This message could not be kept offline: this browser’s storage did not answer. Your draft is still here; try again.';

/** Room a message of `text` takes in the replica, generously (UTF-16 to UTF-8, the update and IndexedDB overhead). */
export function messageBytes(text: string): number {
	return text.length * 3 + 4096;
}

export class RoomSender {
	readonly #options: RoomSenderOptions;

	constructor(options: RoomSenderOptions) {
		this.#options = options;
	}

	/** Sends what the outbox kept from an earlier visit (files uploaded after a reload). */
	resume(): Promise<void> {
		return this.#options.outbox.resume((message, fileKeys) =>
			this.#options.current().push(message, fileKeys)
		);
	}

	/**
	 * Whether storage has room for `bytes`, asked of the current replica. A seal's move destroys
	 * the old replica (and deletes its database) while it may be probing, so a probe that fails
	 * after the replica changed is asked again of the new one; any other failure is null (the
	 * composer keeps the draft and says storage did not answer).
	 */
	async #hasRoomFor(bytes: number): Promise<boolean | null> {
		for (;;) {
			const asked = this.#options.current();
			try {
				return await asked.hasRoomFor(bytes);
			} catch (error) {
				if (this.#options.current() !== asked) continue;
				console.warn('Parley: could not check the storage space', error);
				return null;
			}
		}
	}

	/** Sends a draft (a reply when `replyTo` is given); the result says why it was refused. */
	async send(text: string, files: readonly File[], replyTo?: string): Promise<SendResult> {
		const { current, outbox, maxUploadBytes } = this.#options;
		const replica = current();
		// A message with files may have no text; a too long text or file is refused here, so the
		// composer keeps the draft and says why.
		const check = replica.checkText(text);
		if (files.length === 0 && !check.ok) return check;
		if (!check.ok && check.error !== null) return check;
		const offline = replica.status !== 'online';
		if (files.length === 0) {
			if (offline || replica.storageFull) {
				const fits = await this.#hasRoomFor(messageBytes(check.ok ? check.text : ''));
				if (fits === null) return { ok: false, error: STORAGE_DID_NOT_ANSWER };
				if (!fits) return { ok: false, error: COULD_NOT_KEEP_OFFLINE };
			}
			// The replica may have changed while storage was asked (a seal): write to the current one.
			const result = current().send(text, replyTo);
			if (result.ok && offline) this.#options.keptOffline?.();
			return result;
		}
		const fileProblem = checkFiles(files, maxUploadBytes);
		if (fileProblem !== null) return { ok: false, error: fileProblem };
		const queued = await outbox.send({
			text: check.ok ? check.text : '',
			files,
			...(replyTo === undefined ? {} : { replyTo }),
			// The upload may outlast a seal: push into whichever replica is current then.
			push: (message, fileKeys) => current().push(message, fileKeys)
		});
		if (!queued.ok) return queued;
		if (offline) this.#options.keptOffline?.();
		current().setTyping(false);
		return { ok: true, id: '' };
	}
}
