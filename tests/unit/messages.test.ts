import { messageId } from '../support/messages';
import { describe, expect, it } from 'vitest';
import { checkDraft, newMessage, parseMessage, shortId } from '../../src/lib/client/messages';

describe('parseMessage', () => {
	it('accepts a message with the schema of the room document', () => {
		const value = { id: messageId('m1'), author: 'u1', text: 'hi', ts: 5 };
		expect(parseMessage(value)).toEqual(value);
	});

	it('keeps replyTo and well-formed files', () => {
		const file = { id: 'ffffffffffffffffffffff22', name: 'a.png', type: 'image/png', size: 3 };
		const value = { id: messageId('m'), author: 'u', text: '', ts: 1, replyTo: messageId('m0') };
		expect(parseMessage({ ...value, files: [file] })).toEqual({ ...value, files: [file] });
	});

	it('refuses a whole message when one of its files is malformed (shown as a placeholder)', () => {
		const file = { id: 'ffffffffffffffffffffff22', name: 'a.png', type: 'image/png', size: 3 };
		const value = { id: messageId('m'), author: 'u', text: '', ts: 1 };
		expect(parseMessage({ ...value, files: [file, 7] })).toBeNull();
		expect(parseMessage({ ...value, files: [{ ...file, id: '../../../logout' }] })).toBeNull();
	});

	it('refuses values without the required fields or with wrong types', () => {
		for (const value of [
			null,
			'text',
			[],
			{ id: 'm', author: 'u', text: 'x' },
			{ id: 1, author: 'u', text: 'x', ts: 1 },
			{ id: 'm', author: 'u', text: 5, ts: 1 },
			{ id: 'm', author: 'u', text: 'x', ts: Number.NaN }
		]) {
			expect(parseMessage(value)).toBeNull();
		}
	});
});

describe('checkDraft', () => {
	it('trims the draft', () => {
		expect(checkDraft('  hello \n')).toEqual({ ok: true, text: 'hello' });
	});

	it('reports an empty or blank draft as empty', () => {
		expect(checkDraft('')).toEqual({ ok: false, reason: 'empty' });
		expect(checkDraft(' \n\t ')).toEqual({ ok: false, reason: 'empty' });
	});

	it('accepts exactly the maximum length and refuses one more', () => {
		expect(checkDraft('a'.repeat(4000))).toMatchObject({ ok: true });
		expect(checkDraft('a'.repeat(4001))).toEqual({
			ok: false,
			reason: 'too-long',
			length: 4001,
			max: 4000
		});
	});

	it('uses the given limit', () => {
		expect(checkDraft('abcd', 3)).toMatchObject({ ok: false, reason: 'too-long' });
	});
});

describe('newMessage', () => {
	it('builds a message with a fresh UUID, the author, text and time', () => {
		const a = newMessage('u1', 'hi', 42);
		const b = newMessage('u1', 'hi', 42);
		expect(a).toMatchObject({ author: 'u1', text: 'hi', ts: 42 });
		expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
		expect(a.id).not.toBe(b.id);
	});
});

describe('shortId', () => {
	it('shortens long ids and keeps short ones', () => {
		expect(shortId('abcdefghijkl')).toBe('abcdefgh…');
		expect(shortId('abc')).toBe('abc');
	});
});
