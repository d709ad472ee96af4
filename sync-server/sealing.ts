/**
 * A room's lifecycle (loading -> live -> sealing -> gone) and when and how its head is sealed
 * (docs/design.md, "History segments (epochs)"). The room asks; this unit writes the seal
 * through the room log and says what happened: it never calls back into the room.
 */
import type * as Y from 'yjs';
import type { Config } from '../src/lib/server/config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { buildSeal, type Seal } from './seal';
import type { RoomLogPort } from './room-log';

/**
 * loading: its state is being read; live: serving; sealing: its head is being written into
 * history (updates still gate and queue); gone: sealed or replaced by a newer epoch, serves
 * nobody any more. A room never comes back from gone: a new one is loaded.
 */
export type RoomPhase = 'loading' | 'live' | 'sealing' | 'gone';

/** What one attempt to seal did. */
export type SealAttempt =
	| { readonly outcome: 'sealed'; readonly seal: Seal; readonly epoch: number }
	/** The store had moved on (another instance committed or sealed): catch up first. */
	| { readonly outcome: 'behind' }
	/** The write failed (logged): a later attempt tries again. */
	| { readonly outcome: 'failed' };

export type SealConfig = Partial<Pick<Config, 'SEAL_AFTER_MESSAGES' | 'SEAL_MIN_INTERVAL_MS'>>;

export class RoomLifecycle {
	#phase: RoomPhase = 'loading';

	get phase(): RoomPhase {
		return this.#phase;
	}

	get gone(): boolean {
		return this.#phase === 'gone';
	}

	/** loading -> live. */
	loaded(): void {
		if (this.#phase === 'loading') this.#phase = 'live';
	}

	/** live -> sealing; false when the room is not live. */
	beginSeal(): boolean {
		if (this.#phase !== 'live') return false;
		this.#phase = 'sealing';
		return true;
	}

	/** sealing -> live (the seal did not happen). */
	sealAbandoned(): void {
		if (this.#phase === 'sealing') this.#phase = 'live';
	}

	/** Any phase -> gone; false if it was gone already. */
	leave(): boolean {
		if (this.#phase === 'gone') return false;
		this.#phase = 'gone';
		return true;
	}
}

export class Sealer {
	constructor(
		private readonly deps: {
			readonly roomId: string;
			readonly roomLog: Pick<RoomLogPort, 'seal'>;
			readonly config: SealConfig;
			/** Wall-clock ms (Date.now), for the time since the last seal. */
			readonly nowMs: () => number;
			/** When the previous epoch was sealed (Date.now ms), if ever. */
			readonly sealedAtMs: number | undefined;
			readonly log: Logger;
			readonly metrics?: Pick<Metrics, 'roomSeals'>;
		}
	) {}

	/**
	 * The head holds SEAL_AFTER_MESSAGES messages or more and its previous seal is at least
	 * SEAL_MIN_INTERVAL_MS old: it is due to be sealed.
	 */
	due(doc: Y.Doc): boolean {
		const { config, sealedAtMs, nowMs } = this.deps;
		const limit = config.SEAL_AFTER_MESSAGES;
		const interval = config.SEAL_MIN_INTERVAL_MS ?? 0;
		return (
			limit !== undefined &&
			!doc.isDestroyed &&
			doc.getArray('messages').length >= limit &&
			(sealedAtMs === undefined || nowMs() - sealedAtMs >= interval)
		);
	}

	/**
	 * Seals the head in one store transaction that first checks the store still has this epoch
	 * and this lastSeq (a seal over a doc missing another instance's commit would delete it).
	 */
	async seal(
		doc: Y.Doc,
		expected: { readonly epoch: number; readonly lastSeq: number }
	): Promise<SealAttempt> {
		const { roomId, roomLog, config, log, metrics } = this.deps;
		const limit = config.SEAL_AFTER_MESSAGES ?? Number.POSITIVE_INFINITY;
		const started = performance.now();
		let seal: Seal;
		let epoch: number | null;
		try {
			seal = buildSeal(doc, limit);
			epoch = await roomLog.seal(roomId, expected, seal);
		} catch (error) {
			log.error({ err: error, roomId }, 'seal failed');
			return { outcome: 'failed' };
		}
		if (epoch === null) return { outcome: 'behind' };
		metrics?.roomSeals.inc();
		log.info(
			{
				roomId,
				epoch,
				messages: seal.messageCount,
				segments: seal.segments.length,
				headBytes: seal.head.byteLength,
				ms: Math.round(performance.now() - started)
			},
			'room sealed'
		);
		return { outcome: 'sealed', seal, epoch };
	}
}
