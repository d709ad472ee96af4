// `npm run check`: the type check (svelte-check), the linter and the formatter's check, side by
// side (one after another they took 82 s on 2 cores, most of it waiting on one core each).
// Fails when any of them fails, after all have finished, with each one's output in one piece.
import { spawn } from 'node:child_process';

const CHECKS = [
	['svelte-check', ['--tsconfig', './tsconfig.json', '--fail-on-warnings']],
	['eslint', ['.']],
	['prettier', ['--check', '.']]
];

function run([bin, args]) {
	return new Promise((resolve) => {
		const child = spawn('npx', ['--no-install', bin, ...args], {
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.on('close', (code) => resolve({ name: bin, code: code ?? 1, output }));
	});
}

const results = await Promise.all(CHECKS.map(run));
for (const { name, code, output } of results) {
	console.log(`== ${name}: ${code === 0 ? 'ok' : `failed (exit ${code})`}`);
	if (output.trim()) console.log(output.trimEnd());
}
process.exitCode = results.some((result) => result.code !== 0) ? 1 : 0;
