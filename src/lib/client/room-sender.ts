/**
 * How the composer's Send becomes a message: text alone goes straight into the replica; with
 * files it goes through the upload outbox (uploads.svelte.ts), which pushes the message once
 * its files are on the server, into whichever replica is current then (a seal may come
 * between). Checks happen before anything is queued, so the composer keeps a refused draft.
 */
import type { RoomReplica, SendResult } from './room.svelte';
import { checkFiles, type Outbox } from './uploads.svelte';

/** What a send needs of the replica it writes into. */
export type SendTarget = Pick<RoomReplica, 'send' | 'checkText' | 'push' | 'setTyping'>;

export interface RoomSenderOptions {
	/** The replica messages go into now (after a seal, the new head's). */
	readonly current: () => SendTarget;
	readonly outbox: Pick<Outbox, 'send' | 'resume'>;
	readonly maxUploadBytes: number;
}

export class RoomSender {
	readonly #options: RoomSenderOptions;

	constructor(options: RoomSenderOptions) {
		this.#options = options;
	}

	/** Sends what the outbox kept from an earlier visit (files uploaded after a reload). */
	resume(): Promise<void> {
		return this.#options.outbox.resume((message) => this.#options.current().push(message));
	}

	/** Sends a draft (a reply when `replyTo` is given); the result says why it was refused. */
	send(text: string, files: readonly File[], replyTo?: string): SendResult {
		const { current, outbox, maxUploadBytes } = this.#options;
		const replica = current();
		if (files.length === 0) return replica.send(text, replyTo);
		// A message with files may have no text; a too long text or file is refused here, so the
		// composer keeps the draft and says why.
		const check = replica.checkText(text);
		if (!check.ok && check.error !== null) return check;
		const fileProblem = checkFiles(files, maxUploadBytes);
		if (fileProblem !== null) return { ok: false, error: fileProblem };
		void outbox.send({
			text: check.ok ? check.text : '',
			files,
			...(replyTo === undefined ? {} : { replyTo }),
			// The upload may outlast a seal: push into whichever replica is current then.
			push: (message) => current().push(message)
		});
		replica.setTyping(false);
		return { ok: true, id: '' };
	}
}
