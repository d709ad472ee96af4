import { describe, expect, it } from 'vitest';
import {
	FORGET_AFTER_MS,
	hasUnsent,
	mayForget,
	type RoomReplicaUsage
} from '../../src/lib/client/storage-report';

const NOW = Date.UTC(2026, 0, 31);

function room(fields: Partial<RoomReplicaUsage> = {}): RoomReplicaUsage {
	return {
		roomId: 'r1',
		bytes: 100,
		epochs: [0],
		lastOpened: NOW - FORGET_AFTER_MS - 1,
		unsent: false,
		...fields
	};
}

describe('hasUnsent', () => {
	it('is true only while an own clientID has structs past its STORED clock', () => {
		const delivery = { ownClients: new Set([7]), stored: new Map([[7, 5]]) };
		expect(hasUnsent(new Map([[7, 5]]), delivery)).toBe(false);
		expect(hasUnsent(new Map([[7, 6]]), delivery)).toBe(true);
		// Others' clientIDs never count: they sent their own.
		expect(hasUnsent(new Map([[9, 100]]), delivery)).toBe(false);
		expect(hasUnsent(new Map([[8, 1]]), { ownClients: new Set([8]), stored: new Map() })).toBe(
			true
		);
	});
});

describe('mayForget', () => {
	it('forgets a room not opened for a while, never one with unsent changes or outbox drafts', () => {
		expect(mayForget(room(), new Set(), NOW)).toBe(true);
		expect(mayForget(room({ lastOpened: null }), new Set(), NOW)).toBe(true);
		expect(mayForget(room({ lastOpened: NOW - 1_000 }), new Set(), NOW)).toBe(false);
		expect(mayForget(room({ unsent: true }), new Set(), NOW)).toBe(false);
		expect(mayForget(room(), new Set(['r1']), NOW)).toBe(false);
	});
});
