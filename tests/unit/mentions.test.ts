import { describe, expect, it } from 'vitest';
import {
	findMentions,
	insertMention,
	matchMembers,
	mentionOptions,
	mentionQueryAt,
	mentionsUser,
	segmentMessage
} from '../../src/lib/client/mentions';

const names = ['alice', 'bob', 'bob.smith', 'Carol_9'];

describe('findMentions', () => {
	it('finds known usernames after an @, case-insensitively, spelled as the member list does', () => {
		expect(findMentions('hi @Alice and @carol_9!', names)).toEqual([
			{ start: 3, text: '@Alice', username: 'alice', everyone: null },
			{ start: 14, text: '@carol_9', username: 'Carol_9', everyone: null }
		]);
	});

	it('takes a trailing dot as punctuation unless the username has it', () => {
		expect(findMentions('thanks @bob.', names).map((m) => m.text)).toEqual(['@bob']);
		expect(findMentions('ping @bob.smith.', names).map((m) => m.username)).toEqual(['bob.smith']);
	});

	it('ignores unknown names, longer words and e-mail addresses', () => {
		expect(findMentions('@bobby @eve mail bob@alice.org', names)).toEqual([]);
	});

	it('finds "@room" and "@here" in any case as mentions of everyone, but not longer words', () => {
		expect(findMentions('@Room look, @here. and @rooms or me@here', [])).toEqual([
			{ start: 0, text: '@Room', username: 'room', everyone: 'room' },
			{ start: 12, text: '@here', username: 'here', everyone: 'here' }
		]);
	});
});

describe('mentionsUser', () => {
	it('tells whether a text mentions one user', () => {
		expect(mentionsUser('hey @bob, look', 'bob')).toBe(true);
		expect(mentionsUser('hey bob, look', 'bob')).toBe(false);
	});

	it('counts "@room" and "@here" as a mention of every user', () => {
		expect(mentionsUser('standup in 5 @room', 'bob')).toBe(true);
		expect(mentionsUser('@HERE anyone?', 'alice')).toBe(true);
		expect(mentionsUser('the room is here', 'alice')).toBe(false);
	});
});

describe('segmentMessage', () => {
	it('splits mentions out of the text and keeps links, marking mentions of me', () => {
		expect(segmentMessage('@alice see https://x.org/a and @bob', names, 'bob')).toEqual([
			{ kind: 'mention', text: '@alice', self: false },
			{ kind: 'text', text: ' see ' },
			{ kind: 'link', text: 'https://x.org/a', href: 'https://x.org/a' },
			{ kind: 'text', text: ' and ' },
			{ kind: 'mention', text: '@bob', self: true }
		]);
	});

	it('marks "@room" and "@here" as mentions of me', () => {
		expect(segmentMessage('@room hi', names, 'bob')[0]).toEqual({
			kind: 'mention',
			text: '@room',
			self: true
		});
	});

	it('leaves markup as text', () => {
		expect(segmentMessage('<b>@alice</b>', names, null)).toEqual([
			{ kind: 'text', text: '<b>' },
			{ kind: 'mention', text: '@alice', self: false },
			{ kind: 'text', text: '</b>' }
		]);
	});
});

describe('the composer autocomplete', () => {
	it('finds the @query just before the caret', () => {
		expect(mentionQueryAt('hello @al', 9)).toEqual({ start: 6, query: 'al' });
		expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' });
		expect(mentionQueryAt('hello @al there', 15)).toBeNull();
		expect(mentionQueryAt('mail me@al', 10)).toBeNull();
	});

	it('offers members whose name starts with the query first, then those containing it', () => {
		const members = [
			{ id: '1', username: 'malice' },
			{ id: '2', username: 'alice' },
			{ id: '3', username: 'bob' }
		];
		expect(matchMembers(members, 'AL').map((m) => m.username)).toEqual(['alice', 'malice']);
		expect(matchMembers(members, '').length).toBe(3);
		expect(matchMembers(members, '', 2).length).toBe(2);
	});

	it('offers "@room" and "@here" after the matching members', () => {
		const members = [
			{ id: '1', username: 'rosa' },
			{ id: '2', username: 'henry' }
		];
		expect(mentionOptions(members, 'ro').map((m) => m.username)).toEqual(['rosa', 'room']);
		expect(mentionOptions(members, 'her').map((m) => m.username)).toEqual(['here']);
		expect(mentionOptions(members, '').map((m) => m.username)).toEqual([
			'rosa',
			'henry',
			'room',
			'here'
		]);
		expect(mentionOptions(members, 'x')).toEqual([]);
	});

	it('replaces the query with "@username " and puts the caret after it', () => {
		const query = { start: 6, query: 'al' };
		expect(insertMention('hello @al', query, 9, 'alice')).toEqual({
			draft: 'hello @alice ',
			caret: 13
		});
		expect(insertMention('hello @al how are you', query, 9, 'alice')).toEqual({
			draft: 'hello @alice how are you',
			caret: 13
		});
	});
});
