// `node --import tsx scripts/build-server.ts [outfile]`. Bundles the program's entry (sync-server/main.ts and what it imports from src/lib) into
// build/sync-server.js: the file `npm start`, the Dockerfile, the tests and the bench run.
// `npm run build` runs it after `vite build` (adapter-node empties build/ first).
//
// Why not `node --import tsx sync-server/main.ts` as before: tsx compiles with esbuild's
// `keepNames`, which wraps every function the program creates in `__name(fn, "name")`, an
// Object.defineProperty that gives each closure a property store of its own. Measured
// (docs/design.md "Running the program"): ~18 KB of heap per loaded room of 5 connections,
// ~60 MB of RSS for tsx and its compiler at start, and ~10% of the sync core's CPU per message.
// This bundle keeps the source's names (nothing is minified or renamed that a stack trace
// needs), leaves every package in node_modules (`packages: 'external'`: native addons, and
// build/handler.js imported at run time), and writes a source map beside it
// (`node --enable-source-maps build/sync-server.js` maps stack traces back to the .ts files).
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVER_BUNDLE = join(ROOT, 'build', 'sync-server.js');

/**
 * Writes the bundle to `outfile` (default build/sync-server.js) and its map beside it, each
 * through a temporary file and a rename, so a process starting the server meanwhile (parallel
 * test workers) reads the old file or the new one, never half of one.
 */
export async function buildServer(outfile: string = SERVER_BUNDLE): Promise<string> {
	const result = await build({
		absWorkingDir: ROOT,
		entryPoints: [join(ROOT, 'sync-server', 'main.ts')],
		outfile,
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node20',
		packages: 'external',
		keepNames: false,
		sourcemap: 'linked',
		legalComments: 'none',
		logLevel: 'warning',
		write: false
	});
	mkdirSync(dirname(outfile), { recursive: true });
	for (const file of result.outputFiles) {
		const temporary = join(dirname(file.path), `.${basename(file.path)}.${process.pid}.tmp`);
		writeFileSync(temporary, file.contents);
		renameSync(temporary, file.path);
	}
	return outfile;
}

// Run as a script (not imported; nor bundled into another script, where import.meta.url is that one's).
const self = fileURLToPath(import.meta.url);
if (basename(self) === 'build-server.ts' && resolve(process.argv[1] ?? '') === self) {
	await buildServer(process.argv[2] ? resolve(process.argv[2]) : SERVER_BUNDLE);
}
