/** The gate's storage lookups: a miss is recorded, fetched once, and a found answer is kept. */
import { describe, expect, it } from 'vitest';
import { GateLookups } from '../../sync-server/gate-lookups';

function storage() {
	const asked: string[] = [];
	return {
		asked,
		roomLog: {
			roomFile: async (_roomId: string, fileId: string) => {
				asked.push(`file ${fileId}`);
				return fileId === 'f1' ? { name: 'a.png', type: 'image/png', size: 3 } : undefined;
			},
			sealedAuthorOf: async (_roomId: string, messageId: string) => {
				asked.push(`author ${messageId}`);
				return messageId === 'm1' ? 'alice' : undefined;
			}
		}
	};
}

describe('gate lookups', () => {
	it('records what the gate asked and did not know, then answers it after one fetch', async () => {
		const { asked, roomLog } = storage();
		const lookups = new GateLookups('r', roomLog, true);
		expect(lookups.options.roomFileOf?.('f1')).toBeUndefined();
		expect(lookups.options.sealedAuthorOf?.('m1')).toBeUndefined();
		expect(lookups.missed).toBe(true);
		await lookups.fetchMissed();
		expect(lookups.missed).toBe(false);
		expect(lookups.options.roomFileOf?.('f1')).toEqual({
			name: 'a.png',
			type: 'image/png',
			size: 3
		});
		expect(lookups.options.sealedAuthorOf?.('m1')).toBe('alice');
		expect(asked).toEqual(['file f1', 'author m1']);
	});

	it('keeps what it found but believes "not found" for one run only', async () => {
		const { asked, roomLog } = storage();
		const lookups = new GateLookups('r', roomLog, true);
		lookups.options.roomFileOf?.('f1');
		lookups.options.roomFileOf?.('f2');
		await lookups.fetchMissed();
		lookups.options.roomFileOf?.('f1');
		expect(lookups.options.roomFileOf?.('f2')).toBeUndefined();
		expect(lookups.missed).toBe(false);
		lookups.runDone();
		expect(lookups.options.roomFileOf?.('f1')).toBeDefined();
		expect(lookups.missed).toBe(false);
		lookups.options.roomFileOf?.('f2');
		expect(lookups.missed).toBe(true);
		expect(asked).toEqual(['file f1', 'file f2']);
	});

	it('never asks for sealed authors in a room without sealed history', () => {
		const lookups = new GateLookups('r', storage().roomLog, false);
		expect(lookups.options.sealedAuthorOf).toBeUndefined();
	});
});
