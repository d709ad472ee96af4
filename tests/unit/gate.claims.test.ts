/**
 * The gate's memory in SQLite (table client_ids): owners and high-water marks, which must
 * survive the loss of a room's data and commit together with the store's append.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/lib/server/storage/sqlite/db';
import { ClientIdClaims } from '../../sync-server/client-ids';
import { SqliteStore } from '../../sync-server/store';
import { createRoomIn, openTempDatabase, type TempDatabase } from '../support/temp-db';

let temp: TempDatabase;
let db: Db;
let claims: ClientIdClaims;
let roomId: string;

beforeEach(async () => {
	temp = openTempDatabase('parley-claims-', ['alice', 'bob']);
	db = temp.db;
	roomId = await createRoomIn(db, 'alice', 'claims');
	claims = new ClientIdClaims(db);
});

afterEach(() => {
	temp.dispose();
});

describe('client id claims and high-water marks', () => {
	it('only ever raise a mark, per room and clientID', () => {
		claims.claim(roomId, 7, 'alice');
		claims.claim(roomId, 8, 'bob');
		claims.raiseHighWater(roomId, new Map([[7, 5]]));
		claims.raiseHighWater(
			roomId,
			new Map([
				[7, 3],
				[8, 2]
			])
		);
		expect(claims.loadHighWater(roomId)).toEqual(
			new Map([
				[7, 5],
				[8, 2]
			])
		);
		expect(claims.load(roomId)).toEqual(
			new Map([
				[7, 'alice'],
				[8, 'bob']
			])
		);
	});

	it('keep owners and marks when the room’s data is deleted', () => {
		const store = new SqliteStore(db);
		claims.claim(roomId, 7, 'alice');
		claims.transaction(() => {
			store.append([{ roomId, data: new Uint8Array([0, 0]) }]);
			claims.raiseHighWater(roomId, new Map([[7, 4]]));
		});
		db.prepare('DELETE FROM room_updates WHERE room_id = ?').run(roomId);
		db.prepare('UPDATE rooms SET last_seq = 0 WHERE id = ?').run(roomId);
		expect(claims.load(roomId).get(7)).toBe('alice');
		expect(claims.loadHighWater(roomId).get(7)).toBe(4);
	});

	it('roll the marks back with a failed append in the same transaction', () => {
		const store = new SqliteStore(db);
		claims.claim(roomId, 7, 'alice');
		expect(() =>
			claims.transaction(() => {
				claims.raiseHighWater(roomId, new Map([[7, 9]]));
				store.append([{ roomId: 'no-such-room', data: new Uint8Array([0, 0]) }]);
			})
		).toThrow();
		expect(claims.loadHighWater(roomId).get(7)).toBeUndefined();
	});

	it('raise marks that lag behind what a loaded room holds, for claimed clientIDs only', () => {
		claims.claim(roomId, 7, 'alice');
		claims.raiseHighWater(roomId, new Map([[7, 2]]));
		const marks = claims.loadHighWaterAfterLoad(
			roomId,
			new Map([
				[7, 6],
				[9, 3]
			])
		);
		expect(marks).toEqual(new Map([[7, 6]]));
		expect(claims.loadHighWater(roomId)).toEqual(new Map([[7, 6]]));
	});
});
