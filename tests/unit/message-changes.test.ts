import { describe, expect, it } from 'vitest';
import {
	deletedChange,
	displayedText,
	editedChange,
	newMessage,
	parseChange
} from '../../src/lib/client/messages';

const message = { id: 'm1', author: 'u1', text: 'original', ts: 1 };

describe('parseChange', () => {
	it('accepts edits and deletes with a finite ts', () => {
		expect(parseChange({ text: 'new', ts: 2 })).toEqual({ text: 'new', ts: 2 });
		expect(parseChange({ deleted: true, ts: 3 })).toEqual({ deleted: true, ts: 3 });
	});

	it('refuses other shapes', () => {
		for (const value of [
			null,
			'x',
			{ text: 'x' },
			{ text: 5, ts: 1 },
			{ deleted: false, ts: 1 },
			{ deleted: 'yes', ts: 1 },
			{ text: 'x', ts: Number.POSITIVE_INFINITY }
		]) {
			expect(parseChange(value)).toBeNull();
		}
	});
});

describe('editedChange and deletedChange', () => {
	it('an edit writes the new text and its time', () => {
		expect(editedChange(null, 'better', 10)).toEqual({ text: 'better', ts: 10 });
		expect(editedChange({ text: 'first', ts: 5 }, 'second', 10)).toEqual({
			text: 'second',
			ts: 10
		});
	});

	it('an edit keeps a delete that is already there', () => {
		expect(editedChange({ deleted: true, ts: 5 }, 'again', 10)).toEqual({
			text: 'again',
			deleted: true,
			ts: 10
		});
	});

	it('a delete keeps no text', () => {
		expect(deletedChange(7)).toEqual({ deleted: true, ts: 7 });
	});
});

describe('displayedText', () => {
	it('shows the original text when there is no change', () => {
		expect(displayedText(message, null)).toEqual({
			text: 'original',
			edited: false,
			deleted: false
		});
	});

	it('shows the latest edit marked as edited', () => {
		expect(displayedText(message, { text: 'fixed', ts: 2 })).toEqual({
			text: 'fixed',
			edited: true,
			deleted: false
		});
	});

	it('shows a deleted message without any text, even when an edit came with it', () => {
		expect(displayedText(message, { text: 'x', deleted: true, ts: 2 })).toEqual({
			text: '',
			edited: false,
			deleted: true
		});
	});
});

describe('newMessage', () => {
	it('adds replyTo only for a reply', () => {
		expect(newMessage('u', 'hi', 1)).not.toHaveProperty('replyTo');
		expect(newMessage('u', 'hi', 1, 'm0')).toMatchObject({ author: 'u', replyTo: 'm0' });
	});
});
