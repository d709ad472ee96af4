/**
 * The composer's Send queue (src/lib/client/send-queue.ts): in order, once, and only what was
 * sent leaves the box.
 */
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../src/lib/client/room.svelte';
import { SEND_FAILED, SendQueue, remainingDraft } from '../../src/lib/client/send-queue';

/** A send that answers when the test says so, recording what it was given. */
function slowSend() {
	const calls: string[] = [];
	const answers: Array<(result: SendResult) => void> = [];
	const send = (text: string): Promise<SendResult> => {
		calls.push(text);
		return new Promise((resolve) => answers.push(resolve));
	};
	return { calls, answers, send };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SendQueue', () => {
	it('sends one after another, in the order pressed', async () => {
		const { calls, answers, send } = slowSend();
		const queue = new SendQueue(send);
		const first = queue.submit({ text: 'one', files: [] });
		const second = queue.submit({ text: 'two', files: [] });
		await flush();
		expect(calls).toEqual(['one']);
		answers[0]?.({ ok: true, id: 'a' });
		expect(await first).toEqual({ ok: true, id: 'a' });
		await flush();
		expect(calls).toEqual(['one', 'two']);
		answers[1]?.({ ok: true, id: 'b' });
		expect(await second).toEqual({ ok: true, id: 'b' });
	});

	it('sends a draft pressed twice while its send is under way only once', async () => {
		const { calls, answers, send } = slowSend();
		const queue = new SendQueue(send);
		const first = queue.submit({ text: 'hello', files: [] });
		expect(await queue.submit({ text: 'hello', files: [] })).toBeNull();
		await flush();
		answers[0]?.({ ok: true, id: 'a' });
		await first;
		// Once it is over, the same text is a new message.
		const again = queue.submit({ text: 'hello', files: [] });
		await flush();
		answers[1]?.({ ok: true, id: 'b' });
		expect(await again).toEqual({ ok: true, id: 'b' });
		expect(calls).toEqual(['hello', 'hello']);
	});

	it('turns a send that throws into a refusal that keeps the draft, and goes on', async () => {
		let n = 0;
		const queue = new SendQueue((): SendResult => {
			n++;
			if (n === 1) throw new Error('storage closed');
			return { ok: true, id: 'x' };
		});
		expect(await queue.submit({ text: 'a', files: [] })).toEqual({ ok: false, error: SEND_FAILED });
		expect(await queue.submit({ text: 'b', files: [] })).toEqual({ ok: true, id: 'x' });
	});
});

describe('remainingDraft', () => {
	it('empties the box when nothing was typed meanwhile', () => {
		expect(remainingDraft('hi', 'hi')).toBe('');
	});

	it('keeps what was typed after the sent text, or a whole new draft', () => {
		expect(remainingDraft('hi\nand more', 'hi')).toBe('and more');
		expect(remainingDraft('next message', 'hi')).toBe('next message');
		expect(remainingDraft('', 'hi')).toBe('');
	});
});
