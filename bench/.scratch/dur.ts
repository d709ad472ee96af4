import { enableProfiling } from '../lib/harness';
import { runDurability } from '../scenarios/durability';
if (process.argv.includes('--prof')) enableProfiling();
for (const r of await runDurability({ rate: 1000, durationMs: 6000 })) console.log(JSON.stringify(r));
