/**
 * The gate: decides whether an incoming Yjs update may touch a room, without touching it.
 * Pure: no I/O, no mutation of the doc. docs/design.md, "The gate", lists the rules.
 *
 * MINIMAL VERSION (issue 2): only rule 2's author check. Issue 3 completes it.
 */
import * as Y from 'yjs';

export interface GateSender {
	readonly userId: string;
}

export interface GateLimits {
	readonly maxMessageChars: number;
}

export type GateVerdict =
	| {
			readonly ok: true;
			/** The Yjs clientIDs this update writes with (the caller claims them for the sender). */
			readonly clientIds: readonly number[];
	  }
	| { readonly ok: false; readonly reason: string };

/**
 * @param doc the room's current state (read only)
 * @param owners who owns each clientID already claimed in this room (rule 5)
 */
export function checkUpdate(
	doc: Y.Doc,
	sender: GateSender,
	update: Uint8Array,
	limits: GateLimits,
	owners: ReadonlyMap<number, string>
): GateVerdict {
	let decoded: ReturnType<typeof Y.decodeUpdate>;
	try {
		decoded = Y.decodeUpdate(update);
	} catch {
		return { ok: false, reason: 'malformed update' };
	}
	const clientIds = new Set<number>();
	for (const struct of decoded.structs) {
		clientIds.add(struct.id.client);
		if (!(struct instanceof Y.Item)) continue;
		if (struct.content instanceof Y.ContentAny) {
			for (const value of struct.content.arr) {
				if (value !== null && typeof value === 'object' && 'author' in value) {
					if ((value as { author: unknown }).author !== sender.userId) {
						return { ok: false, reason: 'message author must be the sender' };
					}
					const text = (value as { text?: unknown }).text;
					if (typeof text === 'string' && text.length > limits.maxMessageChars) {
						return { ok: false, reason: 'message text too long' };
					}
				}
			}
		}
	}
	for (const id of clientIds) {
		const owner = owners.get(id);
		if (owner !== undefined && owner !== sender.userId) {
			return { ok: false, reason: `clientID ${id} belongs to another user` };
		}
	}
	void doc;
	return { ok: true, clientIds: [...clientIds] };
}
