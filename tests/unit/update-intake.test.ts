/** The intake alone: updates reach the gate in arrival order, and wait while storage answers or a seal is written. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { UpdateIntake } from '../../sync-server/update-intake';

const log = pino({ level: 'silent' });

class Sender {
	closed = false;
	closedWith: { code: number; reason: string } | null = null;
	close(code: number, reason: string): void {
		this.closed = true;
		this.closedWith = { code, reason };
	}
}

/** An intake whose gate misses a lookup for updates listed in `missing` until fetched. */
function setup(options: { missing?: number[]; failFetch?: boolean } = {}) {
	const gated: number[] = [];
	const missing = new Set(options.missing ?? []);
	let paused = false;
	let drained = 0;
	let fetched!: () => void;
	const fetchDone = new Promise<void>((resolve) => (fetched = resolve));
	const intake = new UpdateIntake<Sender>({
		gate: (_sender, update) => {
			const id = update[0] as number;
			if (missing.has(id)) return false;
			gated.push(id);
			return true;
		},
		fetchMissed: async () => {
			await Promise.resolve();
			missing.clear();
			fetched();
			if (options.failFetch) throw new Error('storage down');
		},
		paused: () => paused,
		drained: () => void drained++,
		log,
		roomId: 'r'
	});
	return {
		intake,
		gated,
		fetchDone,
		pause: (value: boolean) => (paused = value),
		drainedCount: () => drained
	};
}

describe('update intake', () => {
	it('gates an update at once when nothing waits', () => {
		const { intake, gated } = setup();
		intake.accept(new Sender(), Uint8Array.of(1));
		expect(gated).toEqual([1]);
		expect(intake.size).toBe(0);
	});

	it('holds an update whose gate missed a lookup, and every later one, then gates them in order', async () => {
		const { intake, gated, fetchDone, drainedCount } = setup({ missing: [1] });
		const sender = new Sender();
		intake.accept(sender, Uint8Array.of(1));
		intake.accept(sender, Uint8Array.of(2));
		expect(gated).toEqual([]);
		expect(intake.size).toBe(2);
		await fetchDone;
		await Promise.resolve();
		expect(gated).toEqual([1, 2]);
		expect(intake.size).toBe(0);
		expect(drainedCount()).toBe(1);
	});

	it('holds everything while paused and gates it on release', () => {
		const { intake, gated, pause } = setup();
		pause(true);
		intake.accept(new Sender(), Uint8Array.of(1));
		intake.release();
		expect(gated).toEqual([]);
		pause(false);
		intake.release();
		expect(gated).toEqual([1]);
	});

	it('skips the held updates of a sender that closed meanwhile', () => {
		const { intake, gated, pause } = setup();
		pause(true);
		const gone = new Sender();
		gone.close(1000, 'bye');
		intake.accept(gone, Uint8Array.of(1));
		intake.accept(new Sender(), Uint8Array.of(2));
		pause(false);
		intake.release();
		expect(gated).toEqual([2]);
	});

	it('closes the senders of what waited when storage fails, applying none of it', async () => {
		const { intake, gated, fetchDone } = setup({ missing: [1], failFetch: true });
		const sender = new Sender();
		intake.accept(sender, Uint8Array.of(1));
		await fetchDone;
		await new Promise((resolve) => setImmediate(resolve));
		expect(gated).toEqual([]);
		expect(sender.closedWith?.code).toBe(1011);
		expect(intake.size).toBe(0);
	});
});
