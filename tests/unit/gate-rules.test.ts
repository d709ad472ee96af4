/** Gate refusals are values with a rule id; the client's text and the metric label derive from it. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { GateRule, refusal, refusalLabel, refusalText } from '../../src/lib/protocol/gate-rules';
import { checkUpdate } from '../../sync-server/gate';
import { messageUpdate } from '../support/messages';

describe('gate rules as data', () => {
	it('writes the client’s text as `rule N: why` and the metric label as `ruleN`', () => {
		const refused = refusal(GateRule.MESSAGES, 'author must be the sender');
		expect(refusalText(refused)).toBe('rule 2: author must be the sender');
		expect(refusalLabel(refused)).toBe('rule2');
	});

	it('labels a malformed update, which breaks no rule, as other', () => {
		const refused = refusal(null, 'malformed update');
		expect(refusalText(refused)).toBe('malformed update');
		expect(refusalLabel(refused)).toBe('other');
	});

	it('has the gate name the rule a forged author breaks, with the text clients read', () => {
		const verdict = checkUpdate(
			new Y.Doc(),
			{ userId: 'mallory' },
			messageUpdate(new Y.Doc(), 'alice', 'I am alice'),
			{ maxMessageChars: 4000 },
			new Map()
		);
		expect(verdict.ok).toBe(false);
		if (verdict.ok) return;
		expect(verdict.refusal).toEqual({
			rule: GateRule.MESSAGES,
			reason: 'author must be the sender'
		});
		expect(verdict.reason).toBe('rule 2: author must be the sender');
	});

	it('has the gate refuse unreadable bytes under no rule', () => {
		const verdict = checkUpdate(
			new Y.Doc(),
			{ userId: 'a' },
			Uint8Array.of(9, 9, 9),
			{ maxMessageChars: 10 },
			new Map()
		);
		expect(verdict.ok ? null : verdict.refusal.rule).toBeNull();
	});
});
