// Preloaded into the server child with `--prof` (NODE_OPTIONS=--import …): Node refuses
// --cpu-prof in NODE_OPTIONS, so this starts the V8 profiler through the inspector and writes
// the profile (Chrome DevTools format) when the process exits.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.PARLEY_BENCH_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
process.on('exit', () => {
	// A same-thread inspector session answers synchronously, so this runs before exit.
	session.post('Profiler.stop', (error, result) => {
		if (error) return;
		mkdirSync(dir, { recursive: true });
		writeFileSync(join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
	});
});
