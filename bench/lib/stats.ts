/** Percentiles and the Linux /proc readings the bench reports. */
import { readFileSync } from 'node:fs';

export interface Latency {
	readonly count: number;
	readonly p50: number;
	readonly p99: number;
	readonly max: number;
}

export function summarize(samples: readonly number[]): Latency {
	if (samples.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
	const sorted = Float64Array.from(samples).sort();
	const at = (q: number): number =>
		sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
	return {
		count: sorted.length,
		p50: at(0.5),
		p99: at(0.99),
		max: sorted[sorted.length - 1] ?? NaN
	};
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of a process so far, in microseconds (from /proc/<pid>/stat). */
export function cpuMicros(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name (which may contain spaces) start after the last ')'.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const utime = Number(fields[11]);
	const stime = Number(fields[12]);
	return ((utime + stime) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const match = /VmRSS:\s+(\d+) kB/.exec(status);
	return match ? Number(match[1]) * 1024 : NaN;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function watchPeakRss(pid: number, everyMs = 50): { stop(): number } {
	let peak = 0;
	const sample = (): void => {
		try {
			peak = Math.max(peak, rssBytes(pid));
		} catch {
			/* the process is between lives (restart) */
		}
	};
	sample();
	const timer = setInterval(sample, everyMs);
	return {
		stop() {
			clearInterval(timer);
			sample();
			return peak;
		}
	};
}

export function round(value: number, digits = 2): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Polls `predicate` until it holds or the deadline passes (then throws naming `what`). */
export async function waitUntil(
	predicate: () => boolean | Promise<boolean>,
	timeoutMs: number,
	what: string,
	everyMs = 20
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await predicate())) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
		await sleep(everyMs);
	}
}
