/**
 * Repairs a known crash of the `postgres` driver (3.4.9, the newest release; upstream
 * porsager/postgres#1154, #1208, unmerged fixes #1168, #1176, #1209). A write under 1 KiB waits
 * for a `setImmediate`; if the connection closes first, the immediate (or the next write) runs
 * `socket.write` on `null` and throws where no caller can catch it: the whole instance exits.
 * The cluster test hit it during a PostgreSQL outage on a loaded machine. Two teardown paths
 * also cancel that immediate without forgetting it or its bytes, so stale bytes could lead the
 * next connection's first write.
 *
 * Run as `postinstall` (npm ci / npm install): it edits the installed driver in place, once
 * (idempotent), and fails loudly when the driver's code is not the one it knows (a new version:
 * check whether it is fixed upstream, then drop or update this). tests/unit/postgres-patch.test.ts
 * checks the installed driver carries the repair.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MARKER = '/* parley: nextWrite guard (porsager/postgres#1208) */';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const driver = join(root, 'node_modules', 'postgres');

const repairs = [
	{
		from: 'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
		to:
			`function nextWrite(fn) {\n    ${MARKER}\n` +
			'    if (socket === null) {\n' +
			'      chunk = nextWriteTimer = null\n' +
			"      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
			'      return false\n' +
			'    }\n' +
			'    const x = socket.write(chunk, fn)'
	},
	{
		// terminate() and closed(): forget the cancelled immediate and the bytes it would write.
		from: '    clearImmediate(nextWriteTimer)\n',
		to: '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n',
		all: true
	}
];

/** @param {string} file */
function patch(file) {
	const source = readFileSync(file, 'utf8');
	if (source.includes(MARKER)) return 'already';
	let patched = source;
	for (const { from, to, all } of repairs) {
		if (!patched.includes(from)) throw new Error(`${file}: unknown driver code, cannot repair`);
		patched = all ? patched.split(from).join(to) : patched.replace(from, to);
	}
	writeFileSync(file, patched);
	return 'patched';
}

if (existsSync(driver)) {
	const { version } = JSON.parse(readFileSync(join(driver, 'package.json'), 'utf8'));
	for (const flavour of ['src', 'cjs/src', 'cf/src']) {
		const file = join(driver, flavour, 'connection.js');
		if (existsSync(file)) console.log(`postgres ${version} ${flavour}: ${patch(file)}`);
	}
}
