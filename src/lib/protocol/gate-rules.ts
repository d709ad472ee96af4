/**
 * The gate's rules (docs/design.md, "The gate"), as data: a refusal names the rule it applies
 * and says why. The text a client reads is `rule N: why` (PERMISSION_DENIED's reason); the
 * metric `parley_updates_refused_total` is labelled `ruleN` from the same id.
 */
export const GateRule = {
	/** Only the known roots, plain JSON content, no nested types, no garbage-collected structs. */
	ROOTS: 1,
	/** Messages have the message schema, a fresh id, the sender as author. */
	MESSAGES: 2,
	/** Messages are never deleted. */
	NO_DELETES: 3,
	/** Keys of `changes`, `reactions` and `reads` belong to their owner. */
	OWNED_KEYS: 4,
	/** Every clientID with new structs is unowned or owned by the sender. */
	CLIENT_IDS: 5,
	/** Limits: budgets, rates, sizes. */
	LIMITS: 6,
	/** Messages, changes, reactions and read marks are signed by a device of their author. */
	SIGNATURES: 7
} as const;
export type GateRule = (typeof GateRule)[keyof typeof GateRule];

/** Why an update (or a frame) was refused. `rule` null: not a rule but unreadable bytes. */
export interface Refusal {
	readonly rule: GateRule | null;
	readonly reason: string;
}

export function refusal(rule: GateRule | null, reason: string): Refusal {
	return { rule, reason };
}

/** The text sent to the client: `rule 2: author must be the sender`. */
export function refusalText(refused: Refusal): string {
	return refused.rule === null ? refused.reason : `rule ${refused.rule}: ${refused.reason}`;
}

/** The metric label: `rule2`, or `other` for a refusal under no rule. */
export function refusalLabel(refused: Refusal): string {
	return refused.rule === null ? 'other' : `rule${refused.rule}`;
}
