// The gate's share of the running server's CPU, from a server CPU profile written by
// `npm run bench -- <scenario> --prof` (bench/results/profiles/server-<pid>.cpuprofile).
// Counts only the load window (first to last sample inside gate.ts checkUpdate), so start-up
// does not dilute the figure. Usage: node bench/lib/gate-share.mjs <file.cpuprofile>
import { readFileSync } from 'node:fs';

const profile = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const frame = (id) => nodes.get(id).callFrame;
const inGate = (id) => {
	for (let x = id; x; x = parent.get(x)) {
		const f = frame(x);
		if (f.functionName === 'checkUpdate' && f.url.includes('gate.ts')) return true;
	}
	return false;
};
let t = profile.startTime;
const times = profile.samples.map((_, i) => (t += profile.timeDeltas[i] ?? 0));
const gateTimes = times.filter((_, i) => inGate(profile.samples[i]));
const [first, last] = [gateTimes[0] ?? 0, gateTimes.at(-1) ?? 0];
let busy = 0;
let gate = 0;
profile.samples.forEach((id, i) => {
	if (times[i] < first || times[i] > last) return;
	const name = frame(id).functionName;
	if (name === '(idle)' || name === '(program)') return;
	const d = profile.timeDeltas[i] ?? 0;
	busy += d;
	if (inGate(id)) gate += d;
});
console.log(
	`load window ${((last - first) / 1e6).toFixed(1)} s: server busy ${(busy / 1000).toFixed(0)} ms, ` +
		`gate ${(gate / 1000).toFixed(1)} ms = ${((100 * gate) / busy).toFixed(1)}% of the server's busy CPU`
);
