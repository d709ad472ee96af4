/**
 * The import graph of sync-server/ and src/lib/, read from the sources' import statements: it
 * has no cycle, the sync core (rooms, connections, the gate, the commit log, the search indexer)
 * reaches neither sockets (`ws`) nor SQL (`better-sqlite3`, `postgres`, src/lib/server/storage/
 * sqlite and postgres), and
 * no file of sync-server/ but the composition roots names the SQLite storage.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const FOLDERS = ['sync-server', 'src/lib'];

/** The sync core: transport-free and storage-free (sync-server/README.md). */
const CORE = [
	'sync-server/admission.ts',
	'sync-server/awareness-gate.ts',
	'sync-server/commit-log.ts',
	'sync-server/compaction.ts',
	'sync-server/connection.ts',
	'sync-server/forwarder.ts',
	'sync-server/gate.ts',
	'sync-server/gate-lookups.ts',
	'sync-server/log-position.ts',
	'sync-server/protocol.ts',
	'sync-server/room-awareness.ts',
	'sync-server/room-bus.ts',
	'sync-server/room-context.ts',
	'sync-server/room.ts',
	'sync-server/rooms.ts',
	'sync-server/search-indexer.ts',
	'sync-server/seal.ts',
	'sync-server/sealing.ts',
	'sync-server/shared-frame.ts',
	'sync-server/token-bucket.ts',
	'sync-server/types.ts',
	'sync-server/update-intake.ts',
	'sync-server/user-budget.ts'
];
/** What the core must never reach, by package name or by path prefix. */
const FORBIDDEN = [
	'ws',
	'better-sqlite3',
	'src/lib/server/storage/sqlite',
	'postgres',
	'src/lib/server/storage/postgres',
	'sync-server/upgrade.ts'
];
/** The composition roots: the only sync-server files that may name the SQLite storage. */
const COMPOSITION_ROOTS = ['sync-server/main.ts', 'sync-server/vite-plugin.ts'];

function sourceFiles(folder: string): string[] {
	return readdirSync(join(root, folder)).flatMap((name) => {
		const path = join(folder, name);
		if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
		return /\.(ts|svelte)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
	});
}

/** Value imports only: `import type` and `export type` vanish from the compiled code. */
const IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** Every import, types included. */
const ANY_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** What `file` names in its imports (types included), resolved. */
function namedBy(file: string): string[] {
	const text = readFileSync(join(root, file), 'utf8');
	return [...text.matchAll(ANY_IMPORT)].map((match) => resolveImport(file, match[1] as string));
}

function resolveImport(from: string, specifier: string): string {
	let target: string;
	if (specifier.startsWith('$lib/')) target = join('src/lib', specifier.slice(5));
	else if (specifier.startsWith('.')) target = join(dirname(from), specifier);
	else return specifier.startsWith('node:') ? specifier : (specifier.split('/')[0] as string);
	for (const candidate of [target, `${target}.ts`, join(target, 'index.ts')]) {
		if (existsSync(join(root, candidate)) && statSync(join(root, candidate)).isFile()) {
			return candidate;
		}
	}
	return target;
}

function buildGraph(): Map<string, Set<string>> {
	const graph = new Map<string, Set<string>>();
	for (const file of FOLDERS.flatMap(sourceFiles)) {
		const text = readFileSync(join(root, file), 'utf8');
		const edges = new Set<string>();
		for (const match of text.matchAll(IMPORT)) edges.add(resolveImport(file, match[1] as string));
		graph.set(file, edges);
	}
	return graph;
}

/** The strongly connected components with more than one file (or a self-import): the cycles. */
function cycles(graph: Map<string, Set<string>>): string[][] {
	let index = 0;
	const indices = new Map<string, number>();
	const low = new Map<string, number>();
	const stack: string[] = [];
	const onStack = new Set<string>();
	const found: string[][] = [];
	const visit = (node: string): void => {
		indices.set(node, index);
		low.set(node, index++);
		stack.push(node);
		onStack.add(node);
		for (const next of graph.get(node) ?? []) {
			if (!graph.has(next)) continue;
			if (!indices.has(next)) {
				visit(next);
				low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
			} else if (onStack.has(next)) {
				low.set(node, Math.min(low.get(node) as number, indices.get(next) as number));
			}
		}
		if (low.get(node) !== indices.get(node)) return;
		const component: string[] = [];
		let member: string;
		do {
			member = stack.pop() as string;
			onStack.delete(member);
			component.push(member);
		} while (member !== node);
		if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.sort());
	};
	for (const node of graph.keys()) if (!indices.has(node)) visit(node);
	return found;
}

/** Everything `start` reaches, with the path to each. */
function reach(graph: Map<string, Set<string>>, start: string): Map<string, string[]> {
	const paths = new Map<string, string[]>([[start, [start]]]);
	const queue = [start];
	while (queue.length > 0) {
		const node = queue.shift() as string;
		for (const next of graph.get(node) ?? []) {
			if (paths.has(next)) continue;
			paths.set(next, [...(paths.get(node) as string[]), next]);
			queue.push(next);
		}
	}
	return paths;
}

describe('import graph of sync-server/ and src/lib/', () => {
	const graph = buildGraph();

	it('reads the sources it is about (the check cannot pass on an empty graph)', () => {
		expect(graph.size).toBeGreaterThan(50);
		for (const file of CORE) expect(graph.has(file), file).toBe(true);
		expect(graph.get('sync-server/upgrade.ts')?.has('ws')).toBe(true);
	});

	it('has no cycle', () => {
		expect(cycles(graph)).toEqual([]);
	});

	it('finds a cycle when there is one (the check itself works)', () => {
		const looped = new Map(graph);
		looped.set(
			'sync-server/protocol.ts',
			new Set([...(graph.get('sync-server/protocol.ts') ?? []), 'sync-server/room.ts'])
		);
		expect(cycles(looped).length).toBeGreaterThan(0);
	});

	it('has no core file name `ws`, `better-sqlite3` or the SQLite storage, not even for a type', () => {
		const named: string[] = [];
		for (const file of CORE) {
			const text = readFileSync(join(root, file), 'utf8');
			for (const match of text.matchAll(ANY_IMPORT)) {
				const target = resolveImport(file, match[1] as string);
				if (
					['ws', 'better-sqlite3'].includes(target) ||
					target.startsWith('src/lib/server/storage/sqlite')
				) {
					named.push(`${file} -> ${target}`);
				}
			}
		}
		expect(named).toEqual([]);
	});

	it('lets no sync-server file but the composition roots name the SQLite storage', () => {
		const sqlite = (target: string): boolean => target.startsWith('src/lib/server/storage/sqlite');
		// The check sees such an import where there is one.
		expect(namedBy('src/lib/server/services.ts').some(sqlite)).toBe(true);
		const named = sourceFiles('sync-server')
			.filter((file) => !COMPOSITION_ROOTS.includes(file))
			.flatMap((file) =>
				namedBy(file)
					.filter(sqlite)
					.map((target) => `${file} -> ${target}`)
			);
		expect(named).toEqual([]);
	});

	it('keeps the sync core away from sockets and SQL', () => {
		const violations: string[] = [];
		for (const file of CORE) {
			for (const [target, path] of reach(graph, file)) {
				if (
					FORBIDDEN.some(
						(forbidden) =>
							target === forbidden ||
							target.startsWith(`${forbidden}/`) ||
							target.startsWith(`${forbidden}.`)
					)
				) {
					violations.push(path.join(' -> '));
				}
			}
		}
		expect(violations).toEqual([]);
	});
});
