/**
 * The storage conformance suite (tests/storage/suite.ts) on PostgreSQL: one throw-away cluster
 * for the file (tests/support/postgres.ts), a fresh database per test, copied from one migrated
 * at the start.
 */
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStorage } from '../../src/lib/server/storage/postgres';
import type { Storage } from '../../src/lib/server/storage/types';
import { describeStorage } from '../storage/suite';
import { startPostgres, type PostgresHandle } from '../support/postgres';

let pg: PostgresHandle;
let template: string;

beforeAll(async () => {
	pg = await startPostgres();
	template = await pg.createDatabase();
	await (await openPostgresStorage(template)).close();
}, 120_000);

afterAll(async () => {
	await pg?.dispose();
}, 120_000);

describeStorage('PostgreSQL', async () => {
	const url = await pg.createDatabase({ template });
	const opened: Storage[] = [await openPostgresStorage(url)];
	return {
		storage: opened[0]!,
		async openSecond() {
			const second = await openPostgresStorage(url);
			opened.push(second);
			return second;
		},
		async dispose() {
			await Promise.all(opened.map((each) => each.close()));
		}
	};
});
