/**
 * `npm run bench [-- <scenario>…] [--quick]`: runs the scenarios against the real server
 * process and writes bench/results/latest.md and latest.json. Scenarios: fanout, rooms,
 * gate, durability, durability-pg, cold, redis, idle, storm, flood, pg-client, presence, join,
 * capacity,
 * memory, rooms-summaries, rooms-signed, summaries, sidebar, big-room-acks, thumbnails, room-open,
 * crypto. A full
 * run writes bench/results/latest.*; a partial
 * or --quick one writes bench/results/partial.*. `--prof` writes the server's CPU profiles to
 * bench/results/profiles/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { startPostgres } from '../tests/support/postgres';
import { ROOT } from '../tests/support/server';
import { BENCH_ENV, assertBuilt, enableProfiling, type Row } from './lib/harness';
import { runBigRoomAcks } from './scenarios/big-room-acks';
import { runCold } from './scenarios/cold';
import { runCrypto } from './scenarios/crypto';
import { runDurability } from './scenarios/durability';
import { runFanoutCase } from './scenarios/fanout';
import { runFlood } from './scenarios/flood';
import { runGate } from './scenarios/gate';
import { runIdle } from './scenarios/idle';
import { runJoin } from './scenarios/join';
import { runMemory } from './scenarios/memory';
import { runPresence } from './scenarios/presence';
import { runPgClient } from './scenarios/pg-client';
import { runRedis } from './scenarios/redis';
import { runRoomOpen } from './scenarios/room-open';
import { runRoomLoads } from './scenarios/room-loads';
import { runCapacity } from './scenarios/capacity';
import { runRooms, type Target } from './scenarios/rooms';
import { runStorm } from './scenarios/storm';
import { runSidebar } from './scenarios/sidebar';
import { runSummaries } from './scenarios/summaries';
import { runThumbnails } from './scenarios/thumbnails';

/**
 * `BENCH_TARGETS=parley,y-websocket`: which servers `rooms` and `presence` run (default: all);
 * `BENCH_ROOMS=500`: how many rooms `rooms` uses (a loaded machine cannot drive 2,000).
 */
const TARGETS = process.env.BENCH_TARGETS?.split(',').filter(isTarget);

function isTarget(name: string): name is Target {
	return name === 'parley' || name === 'y-websocket' || name === 'hocuspocus';
}

interface Scenario {
	readonly name: string;
	run(quick: boolean): Promise<Row[]>;
}

const SCENARIOS: readonly Scenario[] = [
	{
		name: 'fanout',
		async run(quick) {
			const durationMs = quick ? 3_000 : 8_000;
			const cases = quick
				? [{ receivers: 100, rate: 100, durationMs }]
				: [
						{ receivers: 500, rate: 100, durationMs },
						{ receivers: 500, rate: 400, durationMs },
						{ receivers: 1000, rate: 400, durationMs }
					];
			const rows: Row[] = [];
			for (const c of cases) {
				try {
					const result = await runFanoutCase(c);
					for (const r of result) console.log(JSON.stringify(r));
					rows.push(...result);
				} catch (error) {
					console.error(`fanout ${c.receivers} x ${c.rate} failed:`, error);
					process.exitCode = 1;
				}
			}
			return rows;
		}
	},
	{
		name: 'rooms',
		run: (quick) =>
			runRooms({
				rooms: Number(process.env.BENCH_ROOMS) || (quick ? 200 : 2_000),
				durationMs: quick ? 3_000 : 8_000,
				targets: TARGETS
			})
	},
	{
		name: 'presence',
		run: (quick) =>
			runPresence({ rooms: quick ? 100 : 500, durationMs: quick ? 3_000 : 8_000, targets: TARGETS })
	},
	{
		name: 'join',
		run: (quick) =>
			runJoin(quick ? { joiners: 200, otherRooms: 50 } : { joiners: 1_000, otherRooms: 200 })
	},
	{
		// The highest rate of stored messages in many small rooms with p99 <= 100 ms (issue 17).
		name: 'capacity',
		run: (quick) =>
			runCapacity({
				rooms: Number(process.env.BENCH_ROOMS) || (quick ? 200 : 1_000),
				durationMs: quick ? 3_000 : 5_000
			})
	},
	{
		name: 'memory',
		run: (quick) => runMemory({ rooms: quick ? 200 : 2_000 })
	},
	{
		// The same with a user socket (summary channel) open for every member: its extra CPU.
		name: 'rooms-summaries',
		run: (quick) =>
			runRooms({
				rooms: Number(process.env.BENCH_ROOMS) || (quick ? 200 : 2_000),
				durationMs: quick ? 3_000 : 8_000,
				summaries: true
			})
	},
	{
		name: 'summaries',
		run: (quick) => runSummaries({ samples: quick ? 20 : 100 })
	},
	{
		name: 'sidebar',
		run: (quick) => runSidebar({ samples: quick ? 3 : 10 })
	},
	{
		// One big room whose members all acknowledge delivery (BENCH_ACK_MODE: second, each, none).
		name: 'big-room-acks',
		run: (quick) =>
			runBigRoomAcks({
				members: Number(process.env.BENCH_MEMBERS) || (quick ? 100 : 500),
				rate: quick ? 10 : 20,
				durationMs: quick ? 3_000 : 8_000
			})
	},
	{
		// The same with every message signed and verified (gate rule 7): its extra CPU.
		name: 'rooms-signed',
		run: (quick) =>
			runRooms({
				rooms: Number(process.env.BENCH_ROOMS) || (quick ? 200 : 2_000),
				durationMs: quick ? 3_000 : 8_000,
				signed: true
			})
	},
	{
		name: 'gate',
		run: async (quick) => {
			const options = {
				history: quick ? 1_000 : 5_000,
				writers: 200,
				activeWriters: 20,
				updates: quick ? 500 : 3_000
			};
			// Unsigned, then every message signed and verified (rule 7, keys cached).
			return [
				...(await runGate({ ...options, signed: false })),
				...(await runGate({ ...options, signed: true }))
			];
		}
	},
	{
		name: 'durability',
		run: (quick) => runDurability({ rate: 1_000, durationMs: quick ? 3_000 : 8_000 })
	},
	{
		name: 'cold',
		run: (quick) => runCold(quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000])
	},
	{
		// Rooms opened on an instance with a Redis bus, user sockets and loaded rooms around.
		name: 'room-loads',
		run: (quick) =>
			runRoomLoads(
				quick ? { users: 100, loaded: 20, opened: 10 } : { users: 500, loaded: 100, opened: 40 }
			)
	},
	{
		name: 'redis',
		run: (quick) => runRedis({ receivers: 20, rate: 50, durationMs: quick ? 3_000 : 6_000 })
	},
	{
		name: 'idle',
		run: (quick) => runIdle({ sockets: quick ? 2_000 : 10_000 })
	},
	{
		name: 'storm',
		run: (quick) => runStorm(quick ? { rooms: 100, perRoom: 10 } : { rooms: 500, perRoom: 10 })
	},
	{
		name: 'flood',
		run: (quick) => runFlood({ durationMs: quick ? 4_000 : 8_000 })
	},
	{
		name: 'durability-pg',
		async run(quick) {
			const postgres = await startPostgres({ durable: true });
			try {
				return await runDurability({ rate: 1_000, durationMs: quick ? 3_000 : 8_000, postgres });
			} finally {
				await postgres.dispose();
			}
		}
	},
	{
		name: 'pg-client',
		run: (quick) => runPgClient({ durationMs: quick ? 3_000 : 8_000 })
	},
	{
		name: 'thumbnails',
		run: (quick) => runThumbnails({ repeats: quick ? 2 : 5 })
	},
	{
		name: 'room-open',
		run: (quick) => runRoomOpen({ runs: quick ? 1 : 3 })
	},
	{
		name: 'crypto',
		run: (quick) => runCrypto({ messages: quick ? 200 : 2_000 })
	}
];

function cell(value: number | string): string {
	return typeof value === 'number' && Number.isNaN(value) ? '–' : String(value);
}

function toMarkdown(rows: readonly Row[], header: string, failures: readonly string[]): string {
	const lines = [
		header,
		'',
		'| scenario | server | config | deliveries/s | p50 ms | p99 ms | max ms | lost | CPU µs/delivery | RSS MB | load avg | extra |',
		'|---|---|---|---|---|---|---|---|---|---|---|---|'
	];
	for (const r of rows) {
		const extra = Object.entries(r.extra)
			.map(([k, v]) => `${k}=${cell(v)}`)
			.join(', ');
		lines.push(
			`| ${r.scenario} | ${r.server} | ${r.config} | ${cell(r.deliveriesPerSecond)} | ${cell(r.p50Ms)} | ${cell(r.p99Ms)} | ${cell(r.maxMs)} | ${r.lost} | ${cell(r.cpuMicrosPerDelivery)} | ${cell(r.rssMb)} | ${r.loadavg.join(' ')} | ${extra} |`
		);
	}
	// A scenario that failed has no row: say so where the figures are read.
	if (failures.length > 0) lines.push('', ...failures.map((f) => `**Failed:** ${f}`));
	return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
	const args = process.argv.slice(2);
	const quick = args.includes('--quick');
	if (args.includes('--prof')) enableProfiling();
	const wanted = args.filter((a) => !a.startsWith('--'));
	const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
	if (unknown.length > 0) {
		console.error(
			`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`
		);
		process.exit(2);
	}
	await assertBuilt();
	const chosen = wanted.length > 0 ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
	const header = [
		`# Parley bench — ${new Date().toISOString()}${quick ? ' (--quick)' : ''}`,
		'',
		`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average at start ${loadavg()
			.map((l) => l.toFixed(2))
			.join(' ')}.`,
		`Server env raised for the bench: ${Object.entries(BENCH_ENV)
			.map(([k, v]) => `${k}=${v}`)
			.join(', ')}. Sessions, the gate and durable commits are on.`
	].join('\n');
	console.log(header);
	const rows: Row[] = [];
	const failures: string[] = [];
	const started = Date.now();
	for (const scenario of chosen) {
		const t0 = Date.now();
		console.log(`\n== ${scenario.name} ==`);
		try {
			const result = await scenario.run(quick);
			if (scenario.name !== 'fanout') for (const r of result) console.log(JSON.stringify(r));
			rows.push(...result);
		} catch (error) {
			console.error(`${scenario.name} failed:`, error);
			failures.push(`${scenario.name}: ${error instanceof Error ? error.message : String(error)}`);
			process.exitCode = 1;
		}
		console.log(`(${scenario.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	}
	const markdown = toMarkdown(rows, header, failures);
	console.log('\n' + markdown);
	console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
	const dir = join(ROOT, 'bench', 'results');
	mkdirSync(dir, { recursive: true });
	// Only a full run replaces the committed figures; a partial or quick one goes beside them.
	const name = wanted.length === 0 && !quick ? 'latest' : 'partial';
	// Formatted like the rest of the repository, so `npm run check` passes on committed results.
	const write = async (file: string, text: string): Promise<void> => {
		const options = (await prettier.resolveConfig(file)) ?? {};
		writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
	};
	await write(join(dir, `${name}.md`), markdown);
	await write(
		join(dir, `${name}.json`),
		JSON.stringify({ date: new Date().toISOString(), quick, rows, failures })
	);
	console.log(`written: bench/results/${name}.md and ${name}.json`);
}

await main();
