/** The storage conformance suite (tests/storage/suite.ts) on SQLite, in a fresh temp file each test. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { describeStorage } from '../storage/suite';
import { makeTempDir } from '../support/server';

describeStorage('SQLite', async () => {
	const dir = makeTempDir('parley-storage-');
	const file = join(dir, 'parley.db');
	const storage = openSqliteStorage(file);
	return {
		storage,
		openSecond: async () => openSqliteStorage(file),
		async dispose() {
			await storage.close();
			rmSync(dir, { recursive: true, force: true });
		}
	};
});
