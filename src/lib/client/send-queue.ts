/**
 * The composer's Send, in order and once (Composer.svelte). A send can take a moment (offline it
 * first asks storage for room, with files it queues uploads), and the user may type the next
 * message or press Send again meanwhile:
 * - sends run one after another, in the order they were pressed;
 * - a press on the same draft as the send before it, still under way, sends nothing twice;
 * - when a send succeeds, only what it sent leaves the composer: text typed meanwhile stays
 *   (`remainingDraft`). Clearing the whole box wiped a message typed while the last one was
 *   still being stored (seen in e2e runs under load).
 */
import type { SendResult } from './room.svelte';

export interface Draft {
	readonly text: string;
	readonly files: readonly File[];
}

export type SendDraft = (text: string, files: File[]) => SendResult | Promise<SendResult>;

/** Said when a send throws: the draft stays. */
export const SEND_FAILED = 'The message could not be sent. Your draft is still here; try again.';

export class SendQueue {
	readonly #send: SendDraft;
	#tail: Promise<unknown> = Promise.resolve();
	/** The last draft queued, until its send is over. */
	#last: Draft | null = null;

	constructor(send: SendDraft) {
		this.#send = send;
	}

	/** Sends `draft` after the sends before it; null when it repeats the send under way. */
	submit(draft: Draft): Promise<SendResult | null> {
		const last = this.#last;
		if (last && last.text === draft.text && sameFiles(last.files, draft.files)) {
			return Promise.resolve(null);
		}
		this.#last = draft;
		const run = this.#tail.then(async (): Promise<SendResult> => {
			try {
				return await this.#send(draft.text, [...draft.files]);
			} catch (failure) {
				console.error('Parley: sending failed', failure);
				return { ok: false, error: SEND_FAILED };
			} finally {
				if (this.#last === draft) this.#last = null;
			}
		});
		this.#tail = run;
		return run;
	}
}

function sameFiles(a: readonly File[], b: readonly File[]): boolean {
	return a.length === b.length && a.every((file, i) => file === b[i]);
}

/**
 * What stays in the composer once `sent` went out while the box held `now`: nothing if it is
 * unchanged, what follows it if the user typed on after it, else all of `now` (a new message).
 */
export function remainingDraft(now: string, sent: string): string {
	if (now === sent) return '';
	if (sent !== '' && now.startsWith(sent)) return now.slice(sent.length).replace(/^\s+/, '');
	return now;
}
