/**
 * The forwarder alone: one frame per forward, built once for every recipient; a lone sender is
 * not echoed; under load commits merge into fewer frames and none is lost.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Forwarder } from '../../sync-server/forwarder';
import { decodeMessage } from '../../sync-server/protocol';
import type { SharedFrame } from '../../sync-server/shared-frame';
import { messageTexts, messageUpdate } from '../support/messages';
import { waitFor } from '../support/wait';

/** The forwarder's clock in these tests: only slow writes move it, so timing is exact. */
const clock = { ms: 0 };

class Recipient {
	readonly frames: SharedFrame[] = [];
	/** Time each write takes (a slow kernel write), in ms of the test's clock. */
	writeMs = 0;
	send(frame: SharedFrame): void {
		clock.ms += this.writeMs;
		this.frames.push(frame);
	}
	updates(): Uint8Array[] {
		return this.frames.flatMap((frame) => {
			const message = decodeMessage(frame.data);
			return message.type === 'update' ? [message.update] : [];
		});
	}
}

function setup(count: number): { recipients: Recipient[]; forwarder: Forwarder<Recipient> } {
	const recipients = Array.from({ length: count }, () => new Recipient());
	return {
		recipients,
		forwarder: new Forwarder(
			() => recipients,
			() => clock.ms
		)
	};
}

describe('forwarder', () => {
	it('forwards a lone sender’s update at once to everyone but that sender, as is', () => {
		const { recipients, forwarder } = setup(3);
		const [alice, bob, carol] = recipients as [Recipient, Recipient, Recipient];
		const update = messageUpdate(new Y.Doc(), 'alice', 'solo');
		forwarder.commit([{ data: update, sender: alice }]);
		expect(alice.frames).toHaveLength(0);
		expect(bob.updates()).toEqual([update]);
		expect(carol.frames[0]).toBe(bob.frames[0]);
	});

	it('merges several senders’ updates into one frame that everyone gets, the same object', () => {
		const { recipients, forwarder } = setup(2);
		const [alice, bob] = recipients as [Recipient, Recipient];
		forwarder.commit([
			{ data: messageUpdate(new Y.Doc(), 'alice', 'one'), sender: alice },
			{ data: messageUpdate(new Y.Doc(), 'bob', 'two'), sender: bob }
		]);
		expect(alice.frames).toHaveLength(1);
		expect(bob.frames[0]).toBe(alice.frames[0]);
		expect(messageTexts(alice.updates()).sort()).toEqual(['one', 'two']);
	});

	it('sends what another instance committed to every recipient, the sender-less way', () => {
		const { recipients, forwarder } = setup(2);
		forwarder.broadcast(messageUpdate(new Y.Doc(), 'carol', 'from the bus'));
		for (const recipient of recipients) {
			expect(messageTexts(recipient.updates())).toEqual(['from the bus']);
		}
	});

	it('merges back-to-back commits while forwarding would saturate the process, losing none', async () => {
		const { recipients, forwarder } = setup(2);
		const [alice, bob] = recipients as [Recipient, Recipient];
		bob.writeMs = 4;
		const doc = new Y.Doc();
		const texts = Array.from({ length: 8 }, (_, i) => `m${i}`);
		for (const text of texts)
			forwarder.commit([{ data: messageUpdate(doc, 'alice', text), sender: alice }]);
		expect(bob.frames.length).toBeGreaterThan(0);
		expect(bob.frames.length).toBeLessThan(texts.length);
		await waitFor(
			'every message forwarded',
			() => messageTexts(bob.updates()).length === texts.length
		);
		expect(messageTexts(bob.updates())).toEqual(texts);
		expect(bob.frames.length).toBeLessThan(texts.length);
	});

	it('forwards nothing once stopped, and drops what waited', () => {
		const { recipients, forwarder } = setup(2);
		const [alice, bob] = recipients as [Recipient, Recipient];
		forwarder.push([{ data: messageUpdate(new Y.Doc(), 'alice', 'late'), sender: alice }]);
		forwarder.stop();
		forwarder.schedule();
		forwarder.flush();
		forwarder.broadcast(messageUpdate(new Y.Doc(), 'carol', 'later'));
		expect(bob.frames).toHaveLength(0);
	});
});
