import { enableProfiling } from '../lib/harness';
import { runFanoutCase } from '../scenarios/fanout';
if (process.argv.includes('--prof')) enableProfiling();
const [receivers, rate, dur] = process.argv.slice(2).filter(a=>!a.startsWith('--')).map(Number);
const rows = await runFanoutCase({ receivers: receivers ?? 500, rate: rate ?? 100, durationMs: dur ?? 6000 });
for (const r of rows) console.log(JSON.stringify(r));
