// `npm test` needs Chromium (Playwright), redis-server and PostgreSQL 15 (spawned by the tests).
// Stop at once with the command that installs them, instead of failing deep inside a test.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(bin) {
	for (const dir of (process.env.PATH ?? '').split(delimiter)) {
		try {
			accessSync(join(dir, bin), constants.X_OK);
			return true;
		} catch {
			/* keep looking */
		}
	}
	return false;
}

function executable(file) {
	try {
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

const missing = [];
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!executable(chromium)) missing.push('chromium');
if (!onPath('redis-server')) missing.push('redis-server');
// tests/support/postgres.ts runs initdb + pg_ctl from Debian's package (PG_BIN overrides).
const pgBin = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
if (!executable(join(pgBin, 'initdb'))) missing.push('postgresql');

if (missing.length > 0) {
	console.error(
		`npm test needs ${missing.join(' and ')}, which this machine lacks. Install with:\n`
	);
	console.error(`  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n`);
	process.exit(1);
}
