/**
 * The file production runs (scripts/build-server.ts -> build/sync-server.js): the program's entry
 * bundled without tsx's `keepNames`, whose `__name(fn, "name")` wrapper around every function
 * the program creates cost ~18 KB of heap per loaded room and ~10% of the core's CPU per
 * message (docs/design.md "Running the program"); every package stays in node_modules and is a
 * `dependencies` one (the Docker image prunes the dev ones); the Dockerfile and `npm start` run
 * that file.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../scripts/build-server';
import { ROOT, makeTempDir } from '../support/server';

let dir: string;
let code: string;

beforeAll(async () => {
	dir = makeTempDir('parley-bundle-');
	code = readFileSync(await buildServer(join(dir, 'sync-server.js')), 'utf8');
}, 30_000);

afterAll(() => {
	rmSync(dir, { recursive: true, force: true });
});

describe('the server bundle', () => {
	it('wraps no function in a keepNames helper', () => {
		// esbuild's keepNames defines `__name` once and calls it for every function.
		expect(code).not.toMatch(/\b__name\s*\(/);
		// The source is in it: the entry and the sync core, by their own names.
		expect(code).toContain('// sync-server/main.ts');
		expect(code).toContain('// sync-server/commit-log.ts');
	});

	it('leaves packages to node_modules and needs no TypeScript loader', () => {
		const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1] ?? '');
		expect(imports).toContain('better-sqlite3');
		expect(imports).toContain('yjs');
		expect(imports.filter((name) => name.startsWith('.') || name.endsWith('.ts'))).toEqual([]);
		expect(code).not.toMatch(/from "tsx/);
	});

	it('imports only packages of `dependencies`: the image prunes the others', () => {
		const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
			dependencies: Record<string, string>;
		};
		const packages = new Set(
			[...code.matchAll(/^import (?:.* from )?"([^"]+)";$/gm)]
				.map((m) => m[1] ?? '')
				.filter((name) => !name.startsWith('node:'))
				.map((name) =>
					name
						.split('/')
						.slice(0, name.startsWith('@') ? 2 : 1)
						.join('/')
				)
		);
		expect(packages.size).toBeGreaterThan(5);
		expect([...packages].filter((name) => !(name in dependencies))).toEqual([]);
	});

	it('writes its source map beside it', () => {
		expect(existsSync(join(dir, 'sync-server.js.map'))).toBe(true);
		expect(code.trimEnd().endsWith('//# sourceMappingURL=sync-server.js.map')).toBe(true);
	});
});

describe('what runs it', () => {
	it('is the bundle in npm start, npm run serve and the Dockerfile, built by npm run build', () => {
		const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
			scripts: Record<string, string>;
		};
		expect(scripts.build).toMatch(/^vite build && node --import tsx scripts\/build-server\.ts$/);
		expect(scripts.start).toBe('npm run build && node build/sync-server.js');
		expect(scripts.serve).toBe('node build/sync-server.js');
		const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
		expect(dockerfile).toContain('CMD ["node", "build/sync-server.js"]');
		expect(dockerfile).not.toMatch(/tsx/);
	});
});
