/**
 * Prometheus metrics for one Parley instance, on a registry of its own (not prom-client's
 * global one), so tests and several servers in one process never collide. GET /metrics
 * (sync-server/ops.ts) serves `metrics.registry`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
	readonly registry: Registry;
	/** Open sync WebSocket connections. */
	readonly connections: Gauge;
	/** Rooms held in memory. */
	readonly roomsLoaded: Gauge;
	/** Upgrades waiting for their turn to be checked (turn-pacer.ts): high during a storm. */
	readonly upgradesWaiting: Gauge;
	/** Client updates that passed the gate and were committed. */
	readonly updatesAccepted: Counter;
	/** Client updates the gate refused, by rule (e.g. "author", "limits", "rate"). */
	readonly updatesRefused: Counter<'rule'>;
	/** Time of one group commit of the update log, in seconds. */
	readonly storeCommitSeconds: Histogram;
	/** From a bus message's publish time (sender's clock) to its delivery here, in seconds. */
	readonly busLagSeconds: Histogram;
	/** Messages handed to the bus. */
	readonly busPublished: Counter;
	/** Messages the bus could not send (Redis down); receivers catch up from the room log. */
	readonly busDropped: Counter;
	/** Room heads sealed into history segments by this instance. */
	readonly roomSeals: Counter;
}

/** A fresh registry with Parley's metrics and the default process metrics. */
export function createMetrics(): Metrics {
	const registry = new Registry();
	collectDefaultMetrics({ register: registry });
	const registers = [registry];
	return {
		registry,
		connections: new Gauge({
			name: 'parley_connections',
			help: 'Open sync WebSocket connections',
			registers
		}),
		roomsLoaded: new Gauge({
			name: 'parley_rooms_loaded',
			help: 'Rooms held in memory',
			registers
		}),
		upgradesWaiting: new Gauge({
			name: 'parley_upgrades_waiting',
			help: 'WebSocket upgrades waiting for their turn to be checked',
			registers
		}),
		updatesAccepted: new Counter({
			name: 'parley_updates_accepted_total',
			help: 'Client updates accepted by the gate and committed',
			registers
		}),
		updatesRefused: new Counter({
			name: 'parley_updates_refused_total',
			help: 'Client updates refused by the gate, by rule',
			labelNames: ['rule'] as const,
			registers
		}),
		storeCommitSeconds: new Histogram({
			name: 'parley_store_commit_seconds',
			help: 'Duration of one group commit of the update log',
			buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
			registers
		}),
		busLagSeconds: new Histogram({
			name: 'parley_bus_lag_seconds',
			help: 'Time from publish on one instance to delivery on another',
			buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
			registers
		}),
		busPublished: new Counter({
			name: 'parley_bus_published_total',
			help: 'Messages published on the bus',
			registers
		}),
		busDropped: new Counter({
			name: 'parley_bus_dropped_total',
			help: 'Bus messages dropped because the bus was unavailable',
			registers
		}),
		roomSeals: new Counter({
			name: 'parley_room_seals_total',
			help: 'Room heads sealed into history segments',
			registers
		})
	};
}
