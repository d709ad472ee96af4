/**
 * When a room's log is folded into its snapshot (docs/design.md "Performance and history
 * growth"). Pure bookkeeping: the room appends, asks `due`, and reports a compaction.
 */

/**
 * Compaction also waits until the log since the last snapshot holds this share of the
 * snapshot's bytes. Folding re-encodes and rewrites the whole document, so in a long room a
 * fixed "every N updates" would cost O(history) per N messages; proportional to size, each
 * byte is rewritten a bounded number of times (≤ 1/share) and a load replays at most
 * share × snapshot of log. Design: "Performance and history growth".
 */
export const COMPACT_LOG_SHARE = 0.25;

export class CompactionPolicy {
	/** Log entries since the last compaction (approximate across instances). */
	#logLength: number;
	/** Bytes of log since the last compaction (this instance's view) and of the last snapshot. */
	#logBytes = 0;
	#snapshotBytes: number;

	/**
	 * @param afterUpdates COMPACT_AFTER_UPDATES: never before the log holds more entries
	 * @param loaded the room as loaded: its log length and the bytes of what it replayed
	 */
	constructor(
		readonly afterUpdates: number,
		loaded: { readonly logLength: number; readonly snapshotBytes: number }
	) {
		this.#logLength = loaded.logLength;
		this.#snapshotBytes = loaded.snapshotBytes;
	}

	/** Log entries since the last compaction. */
	get logLength(): number {
		return this.#logLength;
	}

	/** An update joined the log (committed here, or from the bus). */
	appended(bytes: number): void {
		this.#logLength++;
		this.#logBytes += bytes;
	}

	/** Whether the log is long enough, in entries and in its share of the snapshot, to fold. */
	get due(): boolean {
		return (
			this.#logLength > this.afterUpdates &&
			this.#logBytes >= this.#snapshotBytes * COMPACT_LOG_SHARE
		);
	}

	/** The log was folded into a snapshot of this many bytes. */
	compacted(snapshotBytes: number): void {
		this.#logLength = 0;
		this.#logBytes = 0;
		this.#snapshotBytes = snapshotBytes;
	}
}
