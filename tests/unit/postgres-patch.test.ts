/**
 * The PostgreSQL driver carries the repair of its null-socket crash (scripts/patch-postgres.mjs,
 * run by `postinstall`): every flavour of its connection code that Node may load.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARKER } from '../../scripts/patch-postgres.mjs';

const require = createRequire(import.meta.url);
// require.resolve gives <driver>/cjs/src/index.js (the package exports no package.json).
const driver = dirname(dirname(dirname(require.resolve('postgres'))));

describe('the postgres driver repair', () => {
	it.each(['src', 'cjs/src'])('guards nextWrite and forgets a cancelled write in %s', (flavour) => {
		const source = readFileSync(join(driver, flavour, 'connection.js'), 'utf8');
		expect(MARKER).toContain('parley');
		expect(source).toContain(MARKER);
		const nextWrite = source.slice(source.indexOf('function nextWrite(fn) {'));
		// The guard comes before the first use of the socket.
		expect(nextWrite.indexOf('if (socket === null)')).toBeGreaterThan(0);
		expect(nextWrite.indexOf('if (socket === null)')).toBeLessThan(
			nextWrite.indexOf('socket.write(')
		);
		// Both teardown paths forget the cancelled immediate and its bytes.
		expect(
			source.split('\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null').length
		).toBe(3);
	});
});
