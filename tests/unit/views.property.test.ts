/**
 * Property (issue 12): no value in a replica can break the room page. Room documents are built
 * with ARBITRARY values in every field of every root (wrong types, 1e300, NaN, nested objects,
 * arrays, "/x", "../", unicode, bytes), round-tripped through Yjs's encoding as a replica would
 * receive them, then turned into views by the client's code and rendered with Svelte's server
 * renderer. Nothing throws; every value keeps its place (a placeholder when it cannot be shown);
 * no link leaves /api/files/<upload id>. fast-check prints the seed and the shrunk case.
 */
import fc from 'fast-check';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import MessageLog from '../../src/lib/components/MessageLog.svelte';
import AttachmentView from '../../src/lib/components/AttachmentView.svelte';
import { showTime } from '../../src/lib/client/dates';
import { EMPTY_DELIVERY_STATE } from '../../src/lib/client/delivery';
import { MessageViews, roomTypesOf } from '../../src/lib/client/message-views';
import { notificationFor } from '../../src/lib/client/notifications';
import { parseReadMark } from '../../src/lib/client/receipts';
import { summarizeReactions } from '../../src/lib/client/reactions';
import { isFileId, isUuid } from '../../src/lib/protocol/schema';
import { parseSearchHit } from '../../src/lib/search';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const USERS = ['alice', 'bob'];
const PLACEHOLDER = "Message can't be shown";

/** Values that broke or could break a reader: bad ids, times no Date holds, paths. */
/** Any value as a key part (some have no string form). */
const text = (value: unknown): string =>
	typeof value === 'string'
		? value
		: (JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? '');

const nasty = fc.constantFrom<unknown>(
	'/x',
	'',
	'../',
	'../../../logout',
	'%2e%2e%2flogout',
	'javascript:alert(1)',
	'__proto__',
	'\u202e\u0000',
	'💥'.repeat(20),
	1e300,
	-1e300,
	1.5,
	-1,
	0,
	Number.NaN,
	Number.POSITIVE_INFINITY,
	Number.NEGATIVE_INFINITY,
	Number.MAX_SAFE_INTEGER,
	8.64e15 + 1,
	null,
	true,
	false,
	[],
	{},
	{ toString: 'x' },
	[[[{}]]]
);

/** Anything: arbitrary JSON, the nasty values, bytes, big integers. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
	{ weight: 3, arbitrary: nasty },
	{ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) },
	{ weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => [n]) },
	{ weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) }
);

/** Sometimes a valid value, sometimes anything: so parsers meet values one field off. */
const orAnything = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(valid, anything);

const ts = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
const uploadId = fc.stringMatching(/^[a-z2-7]{24}$/);

const file = orAnything(
	fc.record(
		{
			id: orAnything(uploadId),
			name: orAnything(fc.string({ minLength: 1, maxLength: 30 })),
			type: orAnything(fc.constantFrom('image/png', 'text/plain', 'application/pdf')),
			size: orAnything(fc.integer({ min: 1, max: 1000 }))
		},
		{ requiredKeys: [] }
	)
);

function message(ids: readonly string[]): fc.Arbitrary<unknown> {
	const id = ids.length > 0 ? fc.constantFrom(...ids) : fc.uuid();
	return orAnything(
		fc.record(
			{
				id: orAnything(id),
				author: orAnything(fc.constantFrom(...USERS)),
				text: orAnything(fc.string({ maxLength: 40 })),
				ts: orAnything(ts),
				replyTo: orAnything(id),
				files: orAnything(fc.array(file, { maxLength: 3 })),
				extra: anything
			},
			{ requiredKeys: [] }
		)
	);
}

interface RoomSpec {
	readonly messages: unknown[];
	readonly changes: [string, unknown][];
	readonly reactions: [string, unknown][];
	readonly reads: [string, unknown][];
}

const key = (id: fc.Arbitrary<string>) => fc.oneof(id, fc.string({ maxLength: 12 }));

const room: fc.Arbitrary<RoomSpec> = fc
	.array(fc.uuid(), { minLength: 1, maxLength: 4 })
	.chain((ids) => {
		const id = fc.constantFrom(...ids);
		return fc.record({
			messages: fc.array(message(ids), { maxLength: 8 }),
			changes: fc.array(
				fc.tuple(
					key(id),
					orAnything(
						fc.record(
							{
								text: orAnything(fc.string()),
								deleted: orAnything(fc.constant(true)),
								ts: orAnything(ts)
							},
							{ requiredKeys: [] }
						)
					)
				),
				{ maxLength: 4 }
			),
			reactions: fc.array(
				fc.tuple(
					fc.oneof(
						fc
							.tuple(
								orAnything(id),
								fc.constantFrom('👍', '', '|', 'x'.repeat(17)),
								fc.constantFrom(...USERS, '')
							)
							.map(([m, e, u]) => `${text(m)}|${e}|${u}`),
						fc.string({ maxLength: 12 })
					),
					orAnything(ts)
				),
				{ maxLength: 4 }
			),
			reads: fc.array(
				fc.tuple(
					fc.constantFrom(...USERS, '__proto__'),
					orAnything(fc.record({ upTo: orAnything(id), ts: orAnything(ts) }))
				),
				{ maxLength: 3 }
			)
		});
	});

/**
 * fast-check builds objects without a prototype; Yjs stores only plain ones. A "__proto__" key
 * stays an own key (what matters is that the reader meets it).
 */
function plain(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(plain);
	if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
	return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

/**
 * The spec as a replica holds it: written into a doc, encoded as an update and applied to a
 * fresh doc (what lib0's encoding keeps of each value is what a reader meets).
 */
function replicaOf(spec: RoomSpec): Y.Doc {
	const writer = new Y.Doc();
	const types = roomTypesOf(writer);
	writer.transact(() => {
		for (const value of spec.messages) {
			// Yjs refuses undefined at the top of an array; a replica can hold anything else.
			types.messages.push([value === undefined ? null : plain(value)]);
		}
		for (const [k, v] of spec.changes) types.changes.set(k, plain(v));
		for (const [k, v] of spec.reactions) types.reactions.set(k, plain(v));
		for (const [k, v] of spec.reads) types.reads.set(k, plain(v));
	});
	const reader = new Y.Doc();
	Y.applyUpdate(reader, Y.encodeStateAsUpdate(writer));
	return reader;
}

function hrefsOf(html: string): string[] {
	return [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1] ?? '');
}

describe(`room views of arbitrary replicas (seed ${SEED})`, () => {
	it('never throw, keep every value in its place and link only to uploads', () => {
		console.log(`views.property seed: ${SEED} (FC_SEED=${SEED} to replay)`);
		fc.assert(
			fc.property(room, (spec) => {
				const doc = replicaOf(spec);
				const types = roomTypesOf(doc);
				const { views } = new MessageViews('alice').derive(types, EMPTY_DELIVERY_STATE);

				// Every stored value has a view, in order; what is shown has the schema.
				expect(views).toHaveLength(types.messages.length);
				expect(new Set(views.map((view) => view.id)).size).toBe(views.length);
				for (const view of views) {
					if (view.unreadable) continue;
					expect(isUuid(view.id)).toBe(true);
					expect(Number.isInteger(view.ts)).toBe(true);
					for (const f of view.files ?? []) expect(isFileId(f.id)).toBe(true);
					expect(showTime(view.ts).iso).not.toBeNull();
					notificationFor(view, {
						hidden: true,
						level: 'all',
						permitted: true,
						selfId: 'alice',
						selfName: 'alice',
						roomName: 'room',
						nameOf: (id) => id
					});
				}
				summarizeReactions(types.reactions.entries(), 'alice');
				types.reads.forEach((value) => parseReadMark(value));

				const { body } = render(MessageLog, {
					props: {
						label: 'Messages',
						messages: views,
						selfId: 'alice',
						nameOf: (id: string) => id,
						loading: false
					}
				});
				const placeholders = body.split(PLACEHOLDER).length - 1;
				expect(placeholders).toBe(views.filter((view) => view.unreadable).length);
				for (const href of hrefsOf(body)) {
					expect(href).toMatch(/^\/api\/files\/[a-z2-7]{24}$/);
				}
			}),
			{ seed: SEED, numRuns: 150 }
		);
	});

	it('show an attachment with any id as a link to its upload or as a placeholder', () => {
		fc.assert(
			fc.property(fc.oneof(uploadId, fc.string(), nasty.map(text)), (id) => {
				const { body } = render(AttachmentView, {
					props: { file: { id, name: 'a.txt', type: 'text/plain', size: 3 } }
				});
				const hrefs = hrefsOf(body);
				if (isFileId(id)) expect(hrefs).toEqual([`/api/files/${id}`]);
				else {
					expect(hrefs).toEqual([]);
					expect(body).toContain("Attachment can't be shown");
				}
			}),
			{ seed: SEED, numRuns: 200 }
		);
	});

	it('read any search answer into a hit or null, and any ts into text', () => {
		fc.assert(
			fc.property(
				orAnything(
					fc.record({
						roomId: orAnything(fc.stringMatching(/^[a-z2-7]{24}$/)),
						roomName: orAnything(fc.string()),
						messageId: orAnything(fc.uuid()),
						author: orAnything(fc.string()),
						authorName: orAnything(fc.constant(null)),
						text: orAnything(fc.string()),
						snippet: orAnything(fc.string()),
						ts: orAnything(ts)
					})
				),
				(value) => {
					const hit = parseSearchHit(value);
					if (hit !== null) {
						expect(isUuid(hit.messageId)).toBe(true);
						expect(showTime(hit.ts).iso).not.toBeNull();
					}
					expect(typeof showTime((value as { ts?: unknown } | null)?.ts).full).toBe('string');
				}
			),
			{ seed: SEED, numRuns: 300 }
		);
	});
});
